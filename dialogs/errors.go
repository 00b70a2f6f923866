package dialogs

import "errors"

// Sentinel errors of the dialogs package; New wraps them with the offending detail.
var (
	// ErrPrompts means the embedded prompt catalogue is unreadable or lacks a prompt.
	ErrPrompts = errors.New("dialogs: prompt catalogue")
	// ErrKnowledge means the embedded knowledge file is unreadable or inconsistent.
	ErrKnowledge = errors.New("dialogs: knowledge file")
	// ErrConfig means a configuration value is out of range.
	ErrConfig = errors.New("dialogs: config")
)
