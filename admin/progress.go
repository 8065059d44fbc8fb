package admin

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// longCallTimeout bounds one long operation (deleting a domain with all
// its accounts' files, emptying an account, stopping the server).
const longCallTimeout = 30 * time.Minute

// runLong runs a long operation behind a modal dialog with the title, an
// infinite progress bar and a Cancel button. op runs off the UI thread;
// Cancel cancels its context, so the RPC call is cancelled by the client
// and the server stops where it can. When op returns, the dialog closes
// and done is called on the UI thread with op's error, or with
// context.Canceled when the operation was cancelled. With no window (w is
// nil) no dialog is shown.
func runLong(w fyne.Window, title string, op func(ctx context.Context) error, done func(error)) {
	ctx, cancel := context.WithTimeout(context.Background(), longCallTimeout)
	cancelled := make(chan struct{})
	var d *dialog.CustomDialog
	var bar *widget.ProgressBarInfinite
	if w != nil {
		bar = widget.NewProgressBarInfinite()
		var cancelButton *widget.Button
		cancelButton = widget.NewButton("Cancel", func() {
			select {
			case <-cancelled:
			default:
				close(cancelled)
			}
			cancel()
			cancelButton.Disable()
		})
		label := widget.NewLabel(title)
		label.Wrapping = fyne.TextWrapWord
		d = dialog.NewCustomWithoutButtons(title, container.NewVBox(label, bar), w)
		d.SetButtons([]fyne.CanvasObject{cancelButton})
		d.Resize(fyne.NewSize(400, d.MinSize().Height))
		d.Show()
	}
	go func() {
		err := op(ctx)
		select {
		case <-cancelled:
			if err != nil {
				err = context.Canceled
			}
		default:
		}
		cancel()
		runOnUI(func() {
			if bar != nil {
				bar.Stop()
			}
			if d != nil {
				d.Hide()
			}
			if done != nil {
				done(err)
			}
		})
	}()
}

// isCancelled reports whether err says the operation was cancelled.
func isCancelled(err error) bool {
	return errors.Is(err, context.Canceled) || connect.CodeOf(err) == connect.CodeCanceled
}

// showLongResult shows the outcome of a long operation that did not
// succeed: "Cancelled." when it was cancelled, else the error. It reports
// whether err was nil.
func showLongResult(w fyne.Window, err error) bool {
	switch {
	case err == nil:
		return true
	case isCancelled(err):
		if w != nil {
			dialog.ShowInformation("Cancelled", "Cancelled.", w)
		}
	default:
		showPageError(w, err)
	}
	return false
}
