"""The `msp` command, every sub-command of it, and the terminal chat.

`main.py` builds the parser and runs a command (the `msp` entry point is
`bot.cli.main:main`; `python -m bot.cli` runs it too). The commands, by group:

- `serve.py`: running the assistant (`migrate`, `setup`, `serve`, `part`, `web`, `send-alerts`);
- `records.py`: `invite`, `export`, `seed-demo`, `transcript`;
- `alerts.py`: `alerts`, the duty alerts and how far each got;
- `report.py`: `report`, the MSP figures;
- `chat.py`: `chat`, a conversation with the running assistant in this terminal;
- `workspace.py`: `user ...` and `audit`;
- `privacy.py`: `erase` and `retention`;
- `keys.py`: `rotate-key`;
- `args.py`: what they share (argument types, the audit line of who ran them).
"""
