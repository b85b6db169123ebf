"""Issue certificates in a loop through the CLI command until killed: `python issue_loop.py
EMAIL OUTDIR COUNT`.

The app comes from the LMS_* environment, as `flask --app lms` builds it. Each turn runs
`certificates issue --kind progress --email EMAIL --output OUTDIR/<turn>.pdf` and prints
`issued <turn> <code>` once the command has returned (so the certificate is committed and its
file written). `ready` is printed once the app is built, before the first turn.
"""

from __future__ import annotations

import sys

from lms import create_app


def main() -> None:
    email, outdir, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    app = create_app()
    runner = app.test_cli_runner()
    print("ready", flush=True)
    for turn in range(count):
        args = ["certificates", "issue", "--kind", "progress", "--email", email]
        result = runner.invoke(args=[*args, "--output", f"{outdir}/{turn}.pdf"])
        if result.exit_code != 0:
            print(f"failed {turn} {result.output!r} {result.exception!r}", flush=True)
            sys.exit(1)
        print(f"issued {turn} {result.output.strip()}", flush=True)


if __name__ == "__main__":
    main()
