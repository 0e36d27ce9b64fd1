package salesforce

import (
	"context"
	"fmt"
	"strings"
)

// Found is a record a search turned up, as a record picker shows it.
type Found struct {
	ID, Type string
	Name     string // a Case's number
	Detail   string // a Contact's Account, a Lead's Company, a Case's Subject
}

// SearchWho finds the Contacts and unconverted Leads whose name holds
// every word of q (each as a word prefix): the people a Task can be about
// (WhoId).
//
// A user whose profile hides a Contact's Account (field-level security)
// gets Salesforce's INVALID_FIELD for Account.Name; the search is then made
// once more without it, the names alone.
func (c *Client) SearchWho(ctx context.Context, q string) ([]Found, error) {
	found, err := c.searchRecords(ctx, recordSearchSOSL(q, "NAME", []string{
		"Contact(Id, Name, Account.Name LIMIT 10)",
		"Lead(Id, Name, Company WHERE IsConverted = false LIMIT 10)",
	}))
	if refusedField(err) {
		return c.searchRecords(ctx, recordSearchSOSL(q, "NAME", []string{
			"Contact(Id, Name LIMIT 10)",
			"Lead(Id, Name, Company WHERE IsConverted = false LIMIT 10)",
		}))
	}
	return found, err
}

// SearchWhat finds the records of objects (API names) holding every word
// of q: what a Task can be related to (WhatId). A Case is found by its
// subject too, which is no name field.
func (c *Client) SearchWhat(ctx context.Context, q string, objects []string) ([]Found, error) {
	var returning []string
	for _, o := range objects {
		if o == "Case" {
			returning = append(returning, "Case(Id, CaseNumber, Subject LIMIT 10)")
			continue
		}
		returning = append(returning, fmt.Sprintf("%s(Id, Name LIMIT 10)", o))
	}
	return c.searchRecords(ctx, recordSearchSOSL(q, "ALL", returning))
}

func (c *Client) searchRecords(ctx context.Context, sosl string) ([]Found, error) {
	recs, err := c.Search(ctx, sosl)
	if err != nil {
		return nil, err
	}
	out := make([]Found, 0, len(recs))
	for _, rec := range recs {
		f := Found{ID: rec.ID(), Type: rec.Type(), Name: rec.String("Name"), Detail: rec.String("Account.Name")}
		if f.Detail == "" {
			f.Detail = rec.String("Company")
		}
		if f.Type == "Case" {
			f.Name, f.Detail = rec.String("CaseNumber"), rec.String("Subject")
		}
		out = append(out, f)
	}
	return out, nil
}

// recordSearchSOSL builds a record picker's search: every word of q must
// match (a prefix of) a word of the record, and no character of q can leave
// the FIND braces.
func recordSearchSOSL(q, scope string, returning []string) string {
	var words []string
	for _, wd := range strings.Fields(q) {
		words = append(words, EscapeSOSL(wd)+"*")
	}
	return "FIND {" + strings.Join(words, " AND ") + "} IN " + scope + " FIELDS RETURNING " + strings.Join(returning, ", ")
}
