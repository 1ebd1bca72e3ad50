// The page's only script (besides GOV.UK Frontend): a safer "Exit this page",
// and sending chat messages without a reload. Without JavaScript, the page
// works as plain forms.
import { ExitThisPage, initAll } from '../govuk/govuk-frontend.min.js'

// --- Exit this page -------------------------------------------------------------------------
// GOV.UK's component leaves with `location.href = ...`, which keeps this page in
// the browser's history. We leave with `location.replace(...)`, so Back does not
// come here, and we end this browser's chat session on the way out.
ExitThisPage.prototype.exitPage = function () {
  if (!this.$updateSpan) {
    return
  }
  this.$updateSpan.textContent = ''
  document.body.classList.add('govuk-exit-this-page-hide-content')
  this.$overlay = document.createElement('div')
  this.$overlay.className = 'govuk-exit-this-page-overlay'
  this.$overlay.setAttribute('role', 'alert')
  document.body.appendChild(this.$overlay)
  this.$overlay.textContent = this.i18n.t('activated')
  try {
    navigator.sendBeacon('/leave')
  } catch (error) {
    // Leaving matters more than telling the server.
  }
  window.location.replace(this.$button.href)
}

initAll()

// --- Chat without reloading ---------------------------------------------------------------------
const log = document.getElementById('chat-log')
const actions = document.getElementById('chat-actions')
const errors = document.getElementById('chat-errors')
const announcer = document.getElementById('announcer')
const offline = document.getElementById('offline-error')
const readAloud = document.getElementById('read-aloud')
const CHAT_FORMS = ['msp-chat__answers', 'msp-chat__help']

function announce (words) {
  announcer.textContent = ''
  window.setTimeout(() => { announcer.textContent = words }, 50)
}

const title = document.title.replace(/^Error: /, '')

function showError (html, words) {
  document.title = 'Error: ' + title
  errors.innerHTML = html
  const summary = errors.querySelector('.govuk-error-summary')
  if (summary) {
    summary.setAttribute('tabindex', '-1')
    summary.focus()
  }
  announce(words)
}

// --- Read aloud: the browser's own speech, for people who find reading hard ------------------------
// Nothing leaves the browser. Where it cannot speak (or without JavaScript), there is no button.
const canSpeak = 'speechSynthesis' in window && 'SpeechSynthesisUtterance' in window

function speak (words) {
  const utterance = new window.SpeechSynthesisUtterance(words)
  utterance.lang = 'en-GB'
  window.speechSynthesis.cancel()
  window.speechSynthesis.speak(utterance)
}

function addReadAloud (turn) {
  if (!canSpeak || !readAloud || turn.querySelector('.msp-read-aloud')) {
    return
  }
  const words = turn.querySelector('.msp-chat__words')
  if (!words || !words.textContent.trim()) {
    return
  }
  const button = readAloud.content.firstElementChild.cloneNode(true)
  button.addEventListener('click', () => speak(words.textContent.trim()))
  turn.appendChild(button)
}

// Lines the script adds get the ids the server gives the lines it draws: "turn-<place>".
function numberTurns () {
  Array.from(log.children).forEach((turn, place) => {
    if (!turn.id) {
      turn.id = 'turn-' + place
    }
  })
}

// The first new reply: on the screen, below the sticky exit button (the CSS's scroll margin), with focus.
function landOn (turn) {
  turn.scrollIntoView({ block: 'start' })
  turn.focus({ preventScroll: true })
}

async function send (form, submitter) {
  const data = new FormData(form, submitter)
  const textarea = document.getElementById('message')
  let response
  try {
    response = await fetch(form.action, {
      method: 'POST',
      body: data,
      credentials: 'same-origin',
      headers: { Accept: 'application/json', 'X-CSRFToken': data.get('csrf_token') }
    })
  } catch (error) {
    showError(offline.innerHTML, offline.dataset.words)
    return
  }
  let body
  try {
    body = await response.json()
  } catch (error) {
    showError(offline.innerHTML, offline.dataset.words)
    return
  }
  if (!response.ok) {
    showError(body.error_html, body.announce)
    return
  }
  errors.innerHTML = ''
  document.title = title
  const before = log.children.length
  log.insertAdjacentHTML('beforeend', body.turns_html)
  numberTurns()
  const added = Array.from(log.children).slice(before)
  const replies = added.filter((turn) => turn.classList.contains('msp-chat__turn--assistant'))
  replies.forEach(addReadAloud)
  actions.innerHTML = body.actions_html
  const label = document.querySelector('label[for="message"]')
  if (label && body.label) {
    label.textContent = body.label
  }
  if (form.id === 'message-form' && textarea) {
    textarea.value = ''
    textarea.dispatchEvent(new Event('input'))
  }
  announce(body.announce)
  if (replies.length) {
    landOn(replies[0])
  } else if (textarea) {
    textarea.focus()
  }
}

if (log && actions && errors && announcer && offline) {
  log.querySelectorAll('.msp-chat__turn--assistant').forEach(addReadAloud)
  document.addEventListener('submit', (event) => {
    const form = event.target
    if (!(form instanceof HTMLFormElement)) {
      return
    }
    if (form.id !== 'message-form' && !CHAT_FORMS.some((name) => form.classList.contains(name))) {
      return
    }
    event.preventDefault()
    send(form, event.submitter)
  })
}

// --- Workspace: copy an invitation link -------------------------------------------------------
document.querySelectorAll('.msp-copy').forEach((button) => {
  const field = document.getElementById(button.dataset.copy)
  const status = document.querySelector('.msp-copy-status')
  if (!field || !navigator.clipboard) {
    return
  }
  button.hidden = false
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(field.value)
      if (status) status.textContent = 'The link is copied.'
    } catch (error) {
      field.select()
      if (status) status.textContent = 'Select the link and copy it.'
    }
  })
})
