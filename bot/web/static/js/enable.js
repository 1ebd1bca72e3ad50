// Runs first in <body>: tells the GOV.UK styles that JavaScript is on.
// (The GOV.UK template does this inline; our Content Security Policy allows no inline script.)
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '')
