"""The Qt user interface: the only layer (with app.gui) that imports PySide6 or pyqtgraph."""
