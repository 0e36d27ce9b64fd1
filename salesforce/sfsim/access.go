package sfsim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// What a user may do and see is the union of their profile and their
// permission sets (Salesforce Help, "Profiles" and "Permission Sets"): system
// permissions (View Setup and Configuration, ...), custom permissions, and
// field-level security (FLS) on the fields FLS governs.

// System permissions sfsim models, by their API names (PermissionSet fields
// PermissionsViewSetup, PermissionsAssignPermissionSets,
// PermissionsManageUsers).
const (
	PermViewSetup            = "ViewSetup"
	PermAssignPermissionSets = "AssignPermissionSets"
	PermManageUsers          = "ManageUsers"
)

// The seeded profiles.
const (
	ProfileSystemAdministrator = "System Administrator"
	ProfileStandardUser        = "Standard User"
)

// DefaultAdminCustomPermission is the custom permission the seeded Zoom_Admin
// permission set includes and the External Client App is associated with.
const DefaultAdminCustomPermission = "Zoomcti_Admin"

// grants is what one profile or permission set gives its users.
type grants struct {
	system map[string]bool
	custom map[string]bool
	// fields are the FLS-governed fields readable through this holder, as
	// "Object.Field".
	fields map[string]bool
}

func newGrants(system ...string) *grants {
	g := &grants{system: map[string]bool{}, custom: map[string]bool{}, fields: map[string]bool{}}
	for _, p := range system {
		g.system[p] = true
	}
	return g
}

// setupObjects are the objects only some users may access, and the system
// permissions any one of which opens each. PermissionSetAssignment: Object
// Reference, "Special Access Rules": "As of Summer '20 and later, only users
// who have one of these permissions can access this object: View Setup and
// Configuration, Assign Permission Sets, Manage User" (reference
// salesforce-setup.md §3.2).
//
// CustomPermission: Object Reference, CustomPermission, "Special Access
// Rules": since Summer '20 only users with View Setup and Configuration,
// Manage Session Permission Set Activations or Assign Permission Sets may
// access it (the second is not modelled); "Supported Calls: describeLayout(),
// describeSObjects(), query(), retrieve()", so it is read-only (schema.go).
var setupObjects = map[string][]string{
	"PermissionSetAssignment": {PermViewSetup, PermAssignPermissionSets, PermManageUsers},
	"CustomPermission":        {PermViewSetup, PermAssignPermissionSets},
}

// governedByFLS reports whether field-level security applies to f: not to
// the Id and audit fields, the name and required fields, the owner, nor to
// the Task fields the reference lists as outside FLS (reference
// salesforce.md §4: the call fields "are not subject to field-level
// security"). Which other standard Task fields an admin can hide is
// UNCONFIRMED; sfsim keeps the ones every Task needs (Subject, Status,
// Priority, dates, Who/What, subtype) always visible.
func governedByFLS(s *sobject, f *field) bool {
	switch f.Name {
	case "Id", "OwnerId", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById", "Name":
		return false
	}
	if f.Required {
		return false
	}
	if s.Name == "Task" && !f.Custom {
		switch f.Name {
		case "Description", "Type":
			return true
		}
		return false
	}
	switch s.Name {
	case "User", "PermissionSet", "PermissionSetAssignment", "TaskStatus", "CallCenter", "CustomPermission":
		return false
	}
	return f.Create || f.Update || f.Custom
}

// viewer is what one user may see, computed from their profile and
// permission sets when a request starts. A nil viewer is system mode (the
// seed, the console's own helpers) and sees everything.
type viewer struct {
	system map[string]bool
	fields map[string]bool
}

// viewerLocked returns userID's viewer. Caller holds o.mu.
func (o *Org) viewerLocked(userID string) *viewer {
	v := &viewer{system: map[string]bool{}, fields: map[string]bool{}}
	for _, g := range o.grantsOfLocked(userID) {
		for p := range g.system {
			v.system[p] = true
		}
		for f := range g.fields {
			v.fields[f] = true
		}
	}
	return v
}

// viewerFor is viewerLocked, taking the lock.
func (o *Org) viewerFor(userID string) *viewer {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.viewerLocked(userID)
}

// grantsOfLocked lists the holders that give userID their access: the
// profile, then each assigned permission set. Caller holds o.mu.
func (o *Org) grantsOfLocked(userID string) []*grants {
	var out []*grants
	profile := o.userProfile[userID]
	if profile == "" {
		profile = ProfileStandardUser // a user a test inserted
	}
	if g := o.profiles[profile]; g != nil {
		out = append(out, g)
	}
	for _, name := range o.assignedSetsLocked(userID) {
		if g := o.permSets[name]; g != nil {
			out = append(out, g)
		}
	}
	return out
}

// assignedSetsLocked names the permission sets assigned to userID.
func (o *Org) assignedSetsLocked(userID string) []string {
	var out []string
	sets := o.data["PermissionSet"]
	for _, id := range o.data["PermissionSetAssignment"].order {
		a := o.data["PermissionSetAssignment"].byID[id]
		if a["AssigneeId"] != userID {
			continue
		}
		psID, _ := a["PermissionSetId"].(string)
		if ps := sets.byID[psID]; ps != nil {
			name, _ := ps["Name"].(string)
			out = append(out, name)
		}
	}
	return out
}

// canSeeObject reports whether v may use object s at all.
func (v *viewer) canSeeObject(s *sobject) bool {
	need, guarded := setupObjects[s.Name]
	if v == nil || !guarded {
		return true
	}
	return slices.ContainsFunc(need, func(p string) bool { return v.system[p] })
}

// canSeeField reports whether v may read field f of s.
func (v *viewer) canSeeField(s *sobject, f *field) bool {
	if v == nil || !governedByFLS(s, f) {
		return true
	}
	return v.fields[s.Name+"."+f.Name]
}

// unsupportedType is the answer to a query naming an object the user cannot
// access: the same as for an object that does not exist. The message is
// Salesforce's for an unknown sObject (reference salesforce.md §5.3
// INVALID_TYPE); that a user without the permissions gets exactly this for
// PermissionSetAssignment is UNCONFIRMED, though the same 400 INVALID_TYPE
// "sObject type 'FieldPermissions' is not supported" was reported for
// another setup object (jetstreamapp/jetstream#110).
func unsupportedType(name string) *restError {
	return newError(http.StatusBadRequest, "INVALID_TYPE", fmt.Sprintf(
		"sObject type '%s' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.", name))
}

// holderLocked finds a profile or a permission set by name. Caller holds o.mu.
func (o *Org) holderLocked(name string) *grants {
	if g := o.profiles[name]; g != nil {
		return g
	}
	if g := o.permSets[name]; g != nil {
		return g
	}
	panic(fmt.Sprintf("sfsim: no profile or permission set %q", name))
}

// SetFieldAccess gives (visible) or takes away read access to an
// FLS-governed field ("Contact.AssistantPhone") through a profile or a
// permission set, as an admin does in Setup. A user reads the field when
// their profile or any of their permission sets gives it. It panics on an
// unknown holder or a field FLS does not govern (a test bug).
func (o *Org) SetFieldAccess(holder, objectField string, visible bool) {
	objName, fieldName, _ := strings.Cut(objectField, ".")
	s, ok := o.lookupSObject(objName)
	if !ok {
		panic("sfsim: SetFieldAccess: unknown object " + objName)
	}
	f, ok := s.field(fieldName)
	if !ok || !governedByFLS(s, f) {
		panic("sfsim: SetFieldAccess: no FLS-governed field " + objectField)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	g := o.holderLocked(holder)
	if visible {
		g.fields[s.Name+"."+f.Name] = true
	} else {
		delete(g.fields, s.Name+"."+f.Name)
	}
}

// SetCustomPermission includes (on) or removes a custom permission (API
// name) in a profile or permission set.
func (o *Org) SetCustomPermission(holder, name string, on bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	g := o.holderLocked(holder)
	if on {
		g.custom[name] = true
		o.ensureCustomPermissionLocked(name)
	} else {
		delete(g.custom, name)
	}
}

// ensureCustomPermissionLocked creates the CustomPermission record of name,
// as creating it in Setup does, unless it exists. Caller holds o.mu.
func (o *Org) ensureCustomPermissionLocked(name string) {
	t := o.data["CustomPermission"]
	for _, id := range t.order {
		if strings.EqualFold(fmt.Sprint(t.byID[id]["DeveloperName"]), name) {
			return
		}
	}
	o.insertLocked(o.schema["CustomPermission"], map[string]any{"DeveloperName": name, "MasterLabel": name}, o.adminUser.ID)
}

// SetAppCustomPermissions sets the custom permissions associated with the
// External Client App; only those appear in the identity URL's
// custom_permissions map. Options.AppCustomPermissions gives the initial set.
func (o *Org) SetAppCustomPermissions(names ...string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.appCustomPerms = slices.Clone(names)
}

// UnassignPermissionSet removes the assignment of the permission set named
// name (its API name) from userID, as an admin does in Setup.
func (o *Org) UnassignPermissionSet(userID, name string) {
	if id, ok := normalizeID(userID); ok {
		userID = id
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	t := o.data["PermissionSetAssignment"]
	for _, id := range slices.Clone(t.order) {
		a := t.byID[id]
		psID, _ := a["PermissionSetId"].(string)
		ps := o.data["PermissionSet"].byID[psID]
		if a["AssigneeId"] == userID && ps != nil && ps["Name"] == name {
			o.deleteLocked(o.schema["PermissionSetAssignment"], id)
		}
	}
}

// customPermissionsLocked is the identity URL's custom_permissions map for
// userID: each custom permission associated with the External Client App,
// true when the user's profile or a permission set includes it. Caller
// holds o.mu.
func (o *Org) customPermissionsLocked(userID string) map[string]bool {
	out := map[string]bool{}
	gs := o.grantsOfLocked(userID)
	for _, name := range o.appCustomPerms {
		out[name] = slices.ContainsFunc(gs, func(g *grants) bool { return g.custom[name] })
	}
	return out
}

// seedAccessLocked creates the profiles and the permission sets' grants and
// gives each seeded user a profile. Both profiles read every FLS-governed
// field, as new orgs' standard profiles do; tests take access away with
// SetFieldAccess. Caller holds o.mu.
func (o *Org) seedAccessLocked() {
	admin := newGrants(PermViewSetup, PermAssignPermissionSets, PermManageUsers)
	standard := newGrants()
	for _, s := range o.schema {
		for i := range s.fields {
			if f := &s.fields[i]; governedByFLS(s, f) {
				admin.fields[s.Name+"."+f.Name] = true
				standard.fields[s.Name+"."+f.Name] = true
			}
		}
	}
	o.profiles = map[string]*grants{ProfileSystemAdministrator: admin, ProfileStandardUser: standard}
	o.permSets = map[string]*grants{"Zoom_Admin": newGrants(), "Zoom_Agent": newGrants()}
	o.permSets["Zoom_Admin"].custom[DefaultAdminCustomPermission] = true
}

// Profile returns the name of userID's profile.
func (o *Org) Profile(userID string) string {
	if id, ok := normalizeID(userID); ok {
		userID = id
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.userProfile[userID]
}

// SetProfile gives userID another of the org's profiles.
func (o *Org) SetProfile(userID, profile string) {
	if id, ok := normalizeID(userID); ok {
		userID = id
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.profiles[profile] == nil {
		panic("sfsim: SetProfile: no profile " + profile)
	}
	o.userProfile[userID] = profile
}

// visibleFields names the fields of s that v reads, in schema order.
func (v *viewer) visibleFields(s *sobject) []string {
	out := make([]string, 0, len(s.fields))
	for i := range s.fields {
		if v.canSeeField(s, &s.fields[i]) {
			out = append(out, s.fields[i].Name)
		}
	}
	return out
}
