"""The Qt app: the canvas, the window and its widgets, over a Qt-free Session."""
