"""Reusable widgets: the pair list (Line API), the detail panes, dialogs and the screen tabs."""
