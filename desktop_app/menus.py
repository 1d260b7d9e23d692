"""The window's actions, menus and toolbar. The window owns the actions and
their slots; these only arrange them."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMenu, QSizePolicy, QToolBar, QWidget


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

