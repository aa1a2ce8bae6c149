"""Small pure rules shared by the gateway (.venv) and the Rasa side (.venv-rasa), so the two cannot drift.

phone.py (what a phone number is), privacy.py (masking personal numbers in a text), channels.py (channel names
and the channel a conversation files under), e5.py (the e5 folder's prompts and sentence pooling, for the search
and the bot's featurizer). The standard library and numpy only, Python 3.10 syntax. Both venvs install this
folder editable (`-e ./civic` in requirements.txt and requirements-rasa.txt), because the action server runs
from bot/, where the repository root is not on sys.path; the gateway, run from the root, reads the same files.
"""
