package sfsim

// TaskStatus is one of the org's Task Status values (the TaskStatus object:
// ApiName, MasterLabel, SortOrder, IsDefault, IsClosed). Reference §4:
// the values are org-configurable; IsClosed on a Task derives from them.
type TaskStatus struct {
	APIName string
	// Label is the MasterLabel; empty means the API name.
	Label   string
	Closed  bool
	Default bool
}

// DefaultTaskStatuses are the values of a new org (reference §4): Not
// Started (the default), In Progress, Completed (closed), Waiting on
// someone else, Deferred.
func DefaultTaskStatuses() []TaskStatus {
	return []TaskStatus{
		{APIName: "Not Started", Default: true},
		{APIName: "In Progress"},
		{APIName: "Completed", Closed: true},
		{APIName: "Waiting on someone else"},
		{APIName: "Deferred"},
	}
}

// SetTaskStatuses replaces the org's Task Status values, as an admin does
// in Setup: Tasks already saved keep their Status; new writes must use one
// of these. SortOrder follows the order given.
func (o *Org) SetTaskStatuses(statuses []TaskStatus) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.setTaskStatusesLocked(statuses)
}

// setTaskStatusesLocked fills the TaskStatus table and the Task.Status
// picklist. Caller holds o.mu.
func (o *Org) setTaskStatusesLocked(statuses []TaskStatus) {
	if statuses == nil {
		statuses = DefaultTaskStatuses()
	}
	o.data["TaskStatus"] = &table{byID: map[string]map[string]any{}}
	values := make([]string, 0, len(statuses))
	var def any
	for i, st := range statuses {
		label := st.Label
		if label == "" {
			label = st.APIName
		}
		o.insertLocked(o.schema["TaskStatus"], map[string]any{
			"ApiName": st.APIName, "MasterLabel": label, "SortOrder": i + 1,
			"IsDefault": st.Default, "IsClosed": st.Closed,
		}, o.adminUser.ID)
		values = append(values, st.APIName)
		if st.Default {
			def = st.APIName
		}
	}
	f, _ := o.schema["Task"].field("Status")
	f.Values, f.Default = values, def
}

// closedStatusLocked reports whether status is one of the org's closed
// Task Status values. Caller holds o.mu.
func (o *Org) closedStatusLocked(status any) bool {
	t := o.data["TaskStatus"]
	for _, id := range t.order {
		if rec := t.byID[id]; rec["ApiName"] == status {
			return rec["IsClosed"] == true
		}
	}
	return false
}
