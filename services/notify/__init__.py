"""notify: reminders, anniversaries, dues reminders, plans and bulletins, by the channels people use."""
