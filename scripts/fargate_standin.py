"""fargate_standin.py: start moto's server with the stand-in for Fargate (package standin/).

    fargate_standin.py --port PORT --region REGION [--poll 1.0] [--default-stop-timeout 30]
                       [--pull-timeout 3] [--exits-at-once IMAGE]... [--no-task-role-enforcement]
                       [--request-log FILE]

Run it with the .venv's python (moto and the prefect CLI come from there). What it
emulates, and what not: scripts/standin/__init__.py and the docstring of each module.
"""

from standin.server import main

if __name__ == "__main__":
    main()
