package salesforce

import (
	"errors"
	"testing"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce/sfsim"
)

func TestClosedTaskStatus(t *testing.T) {
	tests := []struct {
		name     string
		statuses []sfsim.TaskStatus
		want     string
	}{
		{name: "defaults", want: "Completed"},
		{name: "Completed renamed to Done", statuses: []sfsim.TaskStatus{
			{APIName: "Not Started", Default: true}, {APIName: "Done", Closed: true}, {APIName: "Closed - Lost", Closed: true},
		}, want: "Done"},
		{name: "lowest sort order wins", statuses: []sfsim.TaskStatus{
			{APIName: "Cancelled", Closed: true}, {APIName: "Open", Default: true}, {APIName: "Done", Closed: true},
		}, want: "Cancelled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, sfsim.Options{TaskStatuses: tc.statuses})
			got, err := e.client.ClosedTaskStatus(testContext(t))
			if err != nil || got != tc.want {
				t.Fatalf("ClosedTaskStatus = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestRefusedTaskStatus(t *testing.T) {
	e := newEnvWith(t, sfsim.Options{TaskStatuses: []sfsim.TaskStatus{{APIName: "Open", Default: true}, {APIName: "Done", Closed: true}}})
	ctx := testContext(t)
	task := cti.Task{Subject: "Call", CallType: "Inbound", CallObject: "c1", Status: "Completed", ActivityDate: "2026-03-12"}
	_, err := e.client.CreateTask(ctx, e.org.DemoUser().ID, task)
	if !RefusedTaskStatus(err) {
		t.Fatalf("create with Completed: %v, want the status refused", err)
	}
	if !errors.Is(AsCTIError(err), cti.ErrRejected) {
		t.Errorf("AsCTIError(%v) is not ErrRejected", err)
	}
	task.CallType = "inbound"
	task.Status = "Done"
	if _, err := e.client.CreateTask(ctx, e.org.DemoUser().ID, task); err == nil || RefusedTaskStatus(err) {
		t.Errorf("a bad CallType: %v, want refused but not for its status", err)
	}
	task.CallType = "Inbound"
	if _, err := e.client.CreateTask(ctx, e.org.DemoUser().ID, task); err != nil {
		t.Fatalf("create with Done: %v", err)
	}
}
