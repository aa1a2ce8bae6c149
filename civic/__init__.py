"""Small pure rules about what citizens type, shared by the gateway (.venv) and the action server (.venv-rasa).

Standard library only, Python 3.10 syntax. Both venvs install this folder editable (`-e ./civic` in
requirements.txt and requirements-rasa.txt), because the action server runs from bot/, where the
repository root is not on sys.path; the gateway, run from the root, reads the same files.
"""
