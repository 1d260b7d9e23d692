"""The window's actions, menus and toolbar: made here, kept by the window,
wired to its slots and its sessions'."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QLabel, QMenu, QSizePolicy, QToolBar, QWidget

from model.runtime.engines import ENGINES
from model.runtime.pipelines import (
    DEFAULT_SHRINK,
    PIPELINE_HELP,
    PIPELINE_TITLES,
    PIPELINES,
    SHRINK_HELP,
    SHRINK_TITLES,
    SHRINKS,
)


def make_action(parent: QWidget, text: str, shortcuts, slot, tip: str, checkable: bool = False) -> QAction:
    """An action with its shortcuts shown in its tooltip, added to `parent` so its keys work everywhere."""
    made = QAction(text, parent)
    made.setShortcuts([QKeySequence(s) for s in shortcuts])
    keys = ", ".join(QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText) for s in shortcuts)
    made.setToolTip(f"{tip} ({keys})" if keys else tip)
    made.setStatusTip(tip)
    made.setCheckable(checkable)
    made.triggered.connect(slot)
    parent.addAction(made)
    return made


def build_actions(window) -> None:
    """The window's actions, wired to its slots and its session's."""
    standard = QKeySequence.StandardKey
    window.open_action = make_action(window, "&Open…", [standard.Open], window.files.open_dialog,
                                     "Open a saved drawing (.json), a file of drawings (.jsonl) or any image")
    window.next_drawing_action = make_action(window, "&Next Drawing", ["PgDown"], lambda: window.files.step(1),
                                             "Show the next drawing of the file of drawings")
    window.previous_drawing_action = make_action(window, "P&revious Drawing", ["PgUp"], lambda: window.files.step(-1),
                                                 "Show the drawing before this one in the file of drawings")
    window.next_misread_action = make_action(window, "Next &Misread", ["Shift+PgDown"],
                                             lambda: window.files.find_misread(1),
                                             "Show the next drawing of the file that the model reads otherwise "
                                             "than its label")
    window.previous_misread_action = make_action(window, "Previous M&isread", ["Shift+PgUp"],
                                                 lambda: window.files.find_misread(-1),
                                                 "Show the drawing before this one that the model reads "
                                                 "otherwise than its label")
    window.files.set_changed = window._drawing_set_changed
    window._drawing_set_changed()
    window.save_action = make_action(window, "&Save", [standard.Save], window.files.save,
                                     "Save the drawing (PNG and JSON)")
    window.save_as_action = make_action(window, "Save &As…", [standard.SaveAs], window.files.save_dialog,
                                        "Save the drawing under a new name")
    window.screenshot_action = make_action(window, "&Export Screenshot…", [], window.files.screenshot_dialog,
                                           "Save a picture of the whole window")
    window.open_model_action = make_action(window, "Open &Model…", [], window.files.open_model_dialog,
                                           "Run another .mlmodel or .keras file")
    window.compare_model_action = make_action(window, "&Compare With Model…", [], window.files.compare_model_dialog,
                                              "Show a second model's answers beside the chosen one")
    window.quit_action = make_action(window, "&Quit", [standard.Quit, "Ctrl+Q"], window.close, "Quit")
    window.undo_action = make_action(window, "&Undo", [standard.Undo], lambda: window.active().document.undo(),
                                     "Undo the last change")
    window.redo_action = make_action(window, "&Redo", [standard.Redo], lambda: window.active().document.redo(),
                                     "Redo what was undone")
    window.clear_action = make_action(window, "&Clear", ["Ctrl+Backspace", "Delete"], window.clear,
                                      "Empty the canvas (undoable)")
    window.paste_action = make_action(window, "&Paste", [standard.Paste], window.files.paste,
                                      "Paste an image, or a drawing's JSON or file path")
    window.predict_action = make_action(window, "&Predict", ["Ctrl+Return", "Return"], window.predict,
                                        "Predict the digit, as the phone's button does")
    window.help_action = make_action(window, "&Help", [standard.HelpContents], window.show_help,
                                     "What the pipelines, shrinks, engines, answers and numbers mean")
    window.about_action = make_action(window, "&About", [], window.show_about, "Versions of the app and its parts")
    window.pipeline_actions = QActionGroup(window)
    for name in PIPELINES:
        made = make_action(window, PIPELINE_TITLES[name], [], lambda _=False, n=name: window.session.choose_pipeline(n),
                           PIPELINE_HELP[name], checkable=True)
        made.setData(name)
        window.pipeline_actions.addAction(made)
    window.shrink_actions = QActionGroup(window)
    for name in SHRINKS:
        made = make_action(window, SHRINK_TITLES[name] + (" (assumed)" if name == DEFAULT_SHRINK else ""), [],
                           lambda _=False, n=name: window.session.choose_shrink(n),
                           f"How the phone pipeline shrinks the canvas: {SHRINK_HELP[name]}", checkable=True)
        made.setData(name)
        window.shrink_actions.addAction(made)
    window.engine_actions = QActionGroup(window)
    for kind in ENGINES.values():
        made = make_action(window, kind.title, [], lambda _=False, n=kind.name: window.session.models.choose_engine(n),
                           f"Run the {kind.title} model", checkable=True)
        made.setData(kind.name)
        window.engine_actions.addAction(made)
    window.compare_action = make_action(window, "Compare Both &Engines", [], window.compare_box.setChecked,
                                        "Run both engines and flag any disagreement", checkable=True)
    window.compare_box.toggled.connect(window.compare_action.setChecked)
    window.number_action = make_action(window, "&Number", ["Ctrl+Shift+N"], window.show_number_mode,
                                       "Write a number of several digits on a wide canvas; each digit is read as "
                                       "the phone reads one", checkable=True)
    window.precision_action = make_action(
        window, "Phone &Precision (float16)", [],
        lambda on: window.session.models.set_precision("float16" if on else "float32"),
        "Round weights and every layer's output to float16, as a phone's Neural Engine and GPU do",
        checkable=True)


def build_menus(window) -> QMenu:
    """File, Edit, View and Help, from the window's actions and its teaching actions; returns Open Recent."""
    menus = window.menuBar()
    file_menu = menus.addMenu("&File")
    file_menu.addAction(window.open_action)
    recent_menu = file_menu.addMenu("Open &Recent")
    recent_menu.aboutToShow.connect(lambda: window.files.fill_recent_menu(recent_menu))
    file_menu.addSeparator()
    file_menu.addAction(window.next_drawing_action)
    file_menu.addAction(window.previous_drawing_action)
    file_menu.addAction(window.next_misread_action)
    file_menu.addAction(window.previous_misread_action)
    file_menu.addSeparator()
    file_menu.addAction(window.save_action)
    file_menu.addAction(window.save_as_action)
    file_menu.addAction(window.screenshot_action)
    file_menu.addSeparator()
    file_menu.addAction(window.open_model_action)
    file_menu.addAction(window.compare_model_action)
    file_menu.addSeparator()
    for action in (window.personal.export_model_action, window.personal.export_updatable_action,
                   window.personal.export_set_action, window.personal.import_set_action):
        file_menu.addAction(action)
    file_menu.addSeparator()
    file_menu.addAction(window.quit_action)
    edit_menu = menus.addMenu("&Edit")
    for action in (window.undo_action, window.redo_action, window.clear_action, window.paste_action):
        edit_menu.addAction(action)
    edit_menu.addSeparator()
    edit_menu.addAction(window.predict_action)
    edit_menu.addSeparator()
    edit_menu.addMenu(window.personal.this_is_menu)
    edit_menu.addAction(window.personal.set_action)
    edit_menu.addAction(window.personal.personalise_action)
    view_menu = menus.addMenu("&View")
    view_menu.addAction(window.number_action)
    view_menu.addSection("Input pipeline")
    view_menu.addActions(window.pipeline_actions.actions())
    shrink_menu = view_menu.addMenu("Phone &Shrink")
    shrink_menu.setToolTipsVisible(True)
    shrink_menu.addActions(window.shrink_actions.actions())
    view_menu.addSection("Engine")
    view_menu.addActions(window.engine_actions.actions())
    view_menu.addSeparator()
    view_menu.addAction(window.compare_action)
    view_menu.addAction(window.precision_action)
    view_menu.addAction(window.personal.personal_model_action)
    view_menu.addAction(window.personal.compare_action)
    help_menu = menus.addMenu("&Help")
    help_menu.addAction(window.help_action)
    help_menu.addAction(window.about_action)
    return recent_menu


def build_toolbar(window, title_text: str) -> QToolBar:
    """Clear, Undo, Open, Save, the app's name and Predict: the phone's own buttons first."""
    bar = QToolBar(title_text)
    bar.setObjectName("main toolbar")
    bar.setMovable(False)
    bar.setFloatable(False)
    bar.toggleViewAction().setEnabled(False)  # Clear, Undo and Predict cannot be hidden away
    bar.setContextMenuPolicy(Qt.ContextMenuPolicy.PreventContextMenu)
    bar.setIconSize(QSize(16, 16))
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    for action in (window.clear_action, window.undo_action, None, window.open_action, window.save_action):
        bar.addSeparator() if action is None else bar.addAction(action)
    title = QLabel(title_text)
    title.setAlignment(Qt.AlignmentFlag.AlignCenter)
    title.setStyleSheet("font-weight: 600;")
    title.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    bar.addWidget(title)
    bar.addAction(window.predict_action)
    predict_button = bar.widgetForAction(window.predict_action)
    if predict_button is not None:
        predict_button.setStyleSheet("font-weight: 600;")
    window.addToolBar(bar)
    return bar
