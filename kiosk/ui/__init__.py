"""The kiosk's Kivy user interface: the only layer that imports Kivy (see DESIGN.md, Layers)."""
