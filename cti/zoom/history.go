package zoom

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/zoomcti/zoomcti/cti"
)

// maxHistoryPageSize is the largest page_size the call-history API accepts.
const maxHistoryPageSize = 300

// historyTimeLayout is the yyyy-MM-dd'T'HH:mm:ss'Z' form Zoom takes for
// from / to; it is always given in UTC.
const historyTimeLayout = "2006-01-02T15:04:05Z"

// CallHistory returns a user's call-history records (the v2 call_logs)
// between from and to, following next_page_token until the last page. The
// records decode exactly like the call-history webhooks, so a catch-up job
// and the webhook path produce the same cti.CallRecords. Zoom limits the
// range to one month within the last six months; callers split longer ones.
func (c *Client) CallHistory(ctx context.Context, userID string, from, to time.Time) ([]cti.CallRecord, error) {
	size := c.PageSize
	if size <= 0 || size > maxHistoryPageSize {
		size = maxHistoryPageSize
	}
	q := url.Values{
		"from":      {from.UTC().Format(historyTimeLayout)},
		"to":        {to.UTC().Format(historyTimeLayout)},
		"page_size": {strconv.Itoa(size)},
	}
	// "me" names whoever holds the token; the records then carry no user
	// id rather than the literal "me".
	subject := userID
	if userID == "me" {
		subject = ""
	}
	var out []cti.CallRecord
	for page := 0; ; page++ {
		var resp struct {
			CallLogs      []historyRecord `json:"call_logs"`
			NextPageToken string          `json:"next_page_token"`
		}
		path := "/phone/users/" + url.PathEscape(userID) + "/call_history"
		if err := c.get(ctx, path, q, &resp); err != nil {
			return out, fmt.Errorf("zoom: call history of %s (page %d): %w", userID, page+1, err)
		}
		for _, h := range resp.CallLogs {
			out = append(out, h.record(subject))
		}
		if resp.NextPageToken == "" {
			return out, nil
		}
		if q.Get("next_page_token") == resp.NextPageToken {
			// A server that hands back the same token would loop forever.
			return out, fmt.Errorf("zoom: call history of %s: next_page_token did not advance", userID)
		}
		// Zoom wants the other parameters repeated unchanged with the token.
		q.Set("next_page_token", resp.NextPageToken)
	}
}
