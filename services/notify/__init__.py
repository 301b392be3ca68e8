"""notify: reminders, anniversaries, dues, plans and bulletins, by the channels people use."""
