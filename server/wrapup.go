package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/zoomcti/zoomcti/cti"
	"github.com/zoomcti/zoomcti/salesforce"
)

// wrapUpForm is what the softphone needs to draw the wrap-up form.
type wrapUpForm struct {
	AutoSave         bool               `json:"auto_save"`
	SalesEngagement  bool               `json:"sales_engagement"`
	Dispositions     []string           `json:"dispositions"`
	EditableWho      bool               `json:"editable_who"`
	RelatedToObjects []string           `json:"related_to_objects"`
	Fields           []cti.CallLogField `json:"fields"`
}

// relatedObjects are the objects offered for Related To: the admin's, or
// when they chose none, the standard objects a call is usually about.
func relatedObjects(set cti.Settings) []string {
	if len(set.RelatedToObjects) > 0 {
		return set.RelatedToObjects
	}
	return []string{"Account", "Opportunity", "Case"}
}

// handleListWrapUps answers GET /api/calllogs: the agent's calls waiting
// for a wrap-up (the unlinked call logs) and how to draw the form.
func (s *Server) handleListWrapUps(w http.ResponseWriter, r *http.Request) {
	a, err := s.agentForToken(r.Context(), bearer(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	set, err := s.settings(r.Context(), a.OrgID)
	if err != nil {
		s.writeError(w, r, errorf(KindUnavailable, "try again", err))
		return
	}
	list, err := s.engine.WrapUps(r.Context(), *a)
	if err != nil {
		s.writeError(w, r, errorf(KindUnavailable, "try again", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"wrapups": list, "form": wrapUpForm{
		AutoSave: set.AutoSaveCallLogs, SalesEngagement: set.SalesEngagement, Dispositions: set.Dispositions,
		EditableWho: set.EditableContactLead, RelatedToObjects: relatedObjects(set), Fields: set.CallLogFields,
	}})
}

// handleSaveWrapUp answers POST /api/calllogs/{call}: the agent's wrap-up;
// the Task goes to the outbox. Invalid input: 400 with a message per field.
func (s *Server) handleSaveWrapUp(w http.ResponseWriter, r *http.Request) {
	s.handleCallLogEdit(w, r, s.engine.CompleteWrapUp)
}

// handleEditCallLog answers PATCH /api/calllogs/{call}: the agent changes
// the log of a call that was saved already (auto-saved, or wrapped up).
func (s *Server) handleEditCallLog(w http.ResponseWriter, r *http.Request) {
	s.handleCallLogEdit(w, r, s.engine.EditCallLog)
}

// handleGetCallLog answers GET /api/calllogs/{call}: a saved call's log as
// the agent may change it (the call, the log as the call built it, the
// agent's last edit), for the softphone's "Edit log". 409 when it has no
// saved log to change.
func (s *Server) handleGetCallLog(w http.ResponseWriter, r *http.Request) {
	a, err := s.agentForToken(r.Context(), bearer(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	saved, err := s.engine.CallLog(r.Context(), *a, r.PathValue("call"))
	switch {
	case errors.Is(err, cti.ErrNotLogged):
		s.writeError(w, r, errorf(KindConflict, "this call has no saved call log to change (still on, waiting for its wrap-up, or discarded)", err))
		return
	case err != nil:
		s.writeError(w, r, errorf(KindUnavailable, "try again", err))
		return
	}
	writeJSON(w, http.StatusOK, saved)
}

func (s *Server) handleCallLogEdit(w http.ResponseWriter, r *http.Request, apply func(context.Context, cti.Agent, string, cti.WrapUpEdit) error) {
	a, err := s.agentForToken(r.Context(), bearer(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var edit cti.WrapUpEdit
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&edit); err != nil {
		s.writeError(w, r, errorf(KindInvalid, "the call log must be a JSON object: "+err.Error(), err))
		return
	}
	err = apply(r.Context(), *a, r.PathValue("call"), edit)
	var fe cti.FieldErrors
	switch {
	case errors.As(err, &fe):
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "check the highlighted fields", "fields": fe})
		return
	case errors.Is(err, cti.ErrNoWrapUp):
		s.writeError(w, r, errorf(KindNotFound, "no call log waiting for that call (saved or discarded already?)", err))
		return
	case errors.Is(err, cti.ErrNotLogged):
		s.writeError(w, r, errorf(KindConflict, "this call has no saved call log to change (still on, waiting for its wrap-up, or discarded)", err))
		return
	case err != nil:
		s.writeError(w, r, errorf(KindUnavailable, "not saved; try again", err))
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "saving"})
}

// handleDiscardWrapUp answers DELETE /api/calllogs/{call}.
func (s *Server) handleDiscardWrapUp(w http.ResponseWriter, r *http.Request) {
	a, err := s.agentForToken(r.Context(), bearer(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	err = s.engine.DiscardWrapUp(r.Context(), *a, r.PathValue("call"))
	if errors.Is(err, cti.ErrNoWrapUp) {
		s.writeError(w, r, errorf(KindNotFound, "no call log waiting for that call", err))
		return
	}
	if err != nil {
		s.writeError(w, r, errorf(KindUnavailable, "not discarded; try again", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "discarded"})
}

// handleSearchRecords answers GET /api/records?for=who|what&q=…: records
// for the wrap-up form's Name (Contacts and Leads, when the admin lets
// agents pick any) and Related To (the admin's objects), found by name in
// the agent's own org.
func (s *Server) handleSearchRecords(w http.ResponseWriter, r *http.Request) {
	a, err := s.agentForToken(r.Context(), bearer(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if utf8.RuneCountInString(q) < 2 || len(q) > 100 {
		s.writeError(w, r, errorf(KindInvalid, "type at least 2 characters (at most 100)", nil))
		return
	}
	set, err := s.settings(r.Context(), a.OrgID)
	if err != nil {
		s.writeError(w, r, errorf(KindUnavailable, "try again", err))
		return
	}
	var search func(*salesforce.Client) ([]salesforce.Found, error)
	switch r.URL.Query().Get("for") {
	case "who":
		if !set.EditableContactLead {
			s.writeError(w, r, errorf(KindForbidden, "your admin lets you pick only among the records that match the number", nil))
			return
		}
		search = func(cl *salesforce.Client) ([]salesforce.Found, error) { return cl.SearchWho(r.Context(), q) }
	case "what":
		search = func(cl *salesforce.Client) ([]salesforce.Found, error) {
			return cl.SearchWhat(r.Context(), q, relatedObjects(set))
		}
	default:
		s.writeError(w, r, errorf(KindInvalid, "for must be who or what", nil))
		return
	}
	var found []salesforce.Found
	err = s.crm.call(r.Context(), *a, func(cl *salesforce.Client) error {
		var err error
		found, err = search(cl)
		return err
	})
	if err != nil {
		s.writeError(w, r, errorf(KindUnavailable, "Salesforce search failed; try again", err))
		return
	}
	out := []map[string]string{}
	for _, f := range found {
		out = append(out, map[string]string{"id": f.ID, "type": f.Type, "name": f.Name, "detail": f.Detail})
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": out})
}
