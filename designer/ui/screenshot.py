"""``inception-designer screenshot FILE -o OUT.png``: render the main window offscreen."""

from __future__ import annotations

import os
from pathlib import Path


def render(
    file: str, out: str, theme: str = "dark", size: tuple[int, int] = (1600, 1000), select: str | None = None
) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import tempfile

    from PySide6.QtCore import QEvent, QSettings
    from PySide6.QtWidgets import QApplication

    from .app import make_app
    from .main_window import MainWindow

    app = make_app()
    # A fresh settings folder: the picture never depends on this user's saved layout.
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp(prefix="idshot-"))
    window = MainWindow(theme_mode=theme)
    if not window.open_path(file, ask=False):
        return 2
    window.resize(*size)
    window.show()
    for _ in range(5):
        app.processEvents()
    rep = window.session.report
    doc = window.document
    target = select
    if target is None:  # an interesting node: the one with a problem, else the heaviest
        bad = [d.node_id for d in rep.errors if d.node_id]
        if bad:
            target = bad[0]
        else:
            costs = window.session.costs
            target = max(costs.nodes, key=lambda n: costs.nodes[n].macs, default=None)
    elif target not in doc.nodes:
        target = doc.find(target).id
    window.view.fit()
    if target:
        window.scene.select_nodes([target])
    for _ in range(5):
        app.processEvents()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    ok = window.grab().save(str(out))
    window.session.undo_stack.setClean()
    window.close()
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    QApplication.processEvents()
    return 0 if ok else 2
