"""The console's labels in Chinese and English, one module a page (or group of pages).

Each module here defines ``MESSAGES = {key: {"zh": ..., "en": ...}}``; :mod:`api.console.i18n`
merges them all and refuses a key defined twice or a label missing a language.
"""
