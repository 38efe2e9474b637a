"""One browser tab's workbench: the process ``qcoder serve`` starts for each tab.

The project comes in ``QCODER_DB`` (never through the page), the coder in
``QCODER_SERVE_CODER`` when ``qcoder serve --coder`` fixed one; otherwise the tab asks
"Who is coding?" — a browser tab is not a person the server machine can remember, so
its preferences are neither read nor written. textual-serve sets ``TEXTUAL_DRIVER`` so
the app talks to the browser over stdin/stdout.
"""

from __future__ import annotations

import os
import sys


def main() -> int:
    from qcoder.store.database import open_project
    from qcoder.store.errors import user_message
    from qcoder.tui.app import QcoderApp

    db = os.environ.get("QCODER_DB")
    coder = os.environ.get("QCODER_SERVE_CODER") or None
    try:
        project = open_project(db, create=False)
    except Exception as error:
        message = user_message(error, "")
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 1
    app = QcoderApp(project, coder, None)
    try:
        app.run()
    finally:
        app.close_project()
    return 0


if __name__ == "__main__":
    sys.exit(main())
