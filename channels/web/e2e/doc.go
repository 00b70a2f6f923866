// Package e2e holds the browser tests of the web channels: real headless Chromium against
// the whole application (engine, dialogs, NLU, queue, console) served on a free port. The
// tests save screenshots of the widget and the console under screenshots/ at the
// repository root.
package e2e
