package app

import (
	"context"
	"errors"
	"strings"

	"github.com/ferrysync/ferry"
)

// declareSource names a Document built in memory (by the API) rather than
// read from a file; its errors carry no file:line prefix.
const declareSource = "\x00declare"

// Declare applies a Document built in memory, by the JSON API: the same
// validation and the same writes as `ferry apply` (Apply), so the two can
// never disagree. Error messages say what is wrong without a file position.
func (a *App) Declare(ctx context.Context, doc *Document, opt ApplyOptions) ([]Change, error) {
	doc.file = declareSource
	changes, err := a.Apply(ctx, doc, opt)
	var fe *ferry.Error
	if errors.As(err, &fe) {
		if _, msg, ok := strings.Cut(fe.Message, declareSource+":"); ok {
			// "<source>:<line>: message"
			if _, rest, ok := strings.Cut(msg, ": "); ok {
				msg = rest
			}
			return changes, &ferry.Error{Code: fe.Code, Message: msg, Err: fe.Err}
		}
	}
	return changes, err
}
