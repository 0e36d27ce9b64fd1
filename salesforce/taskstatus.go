package salesforce

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// ClosedTaskStatus returns the API name of the org's first closed Task
// status: the TaskStatus with IsClosed set and the lowest SortOrder. Orgs
// rename and remove "Completed" (reference §4: the values are
// org-configurable, query TaskStatus), so a Task written closed must use
// this value.
func (c *Client) ClosedTaskStatus(ctx context.Context) (string, error) {
	recs, err := c.Query(ctx, "SELECT ApiName, IsClosed, SortOrder FROM TaskStatus WHERE IsClosed = true ORDER BY SortOrder LIMIT 1")
	if err != nil {
		return "", fmt.Errorf("salesforce: closed task status: %w", err)
	}
	if len(recs) == 0 || recs[0].String("ApiName") == "" {
		return "", errors.New("salesforce: closed task status: the org has none")
	}
	return recs[0].String("ApiName"), nil
}

// RefusedTaskStatus reports whether err is Salesforce refusing a Task's
// Status as a value the org does not have
// (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST on Status, reference §5.3): the
// status read earlier is stale, or the one an admin picked is gone.
func RefusedTaskStatus(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" && slices.Contains(e.Fields, "Status")
}
