package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"

	"dianbao/dialogs"
)

// Directory holds the known outages and customer accounts (contract §5 files). Operators
// may add or replace outages while it serves lookups, hence the lock.
type Directory struct {
	mu       sync.RWMutex
	outages  []dialogs.Outage
	accounts []dialogs.Account
}

// NewDirectory validates and holds the given records.
func NewDirectory(outages []dialogs.Outage, accounts []dialogs.Account) (*Directory, error) {
	d := &Directory{}
	for _, o := range outages {
		if err := d.PutOutage(o); err != nil {
			return nil, err
		}
	}
	for i, a := range accounts {
		if a.Account == "" && a.Phone == "" {
			return nil, fmt.Errorf("%w: account %d has neither account number nor phone", ErrBadInput, i)
		}
		if a.Meter != "" && a.Meter != "prepaid" && a.Meter != "postpaid" {
			return nil, fmt.Errorf("%w: account %s: meter %q is not prepaid or postpaid", ErrBadInput, a.Account, a.Meter)
		}
	}
	d.accounts = slices.Clone(accounts)
	return d, nil
}

// LoadDirectory reads outages.json and accounts.json from fsys; a missing file counts as
// empty, a malformed one is an error naming the file.
func LoadDirectory(fsys fs.FS) (*Directory, error) {
	var outages []dialogs.Outage
	var accounts []dialogs.Account
	if err := readJSON(fsys, "outages.json", &outages); err != nil {
		return nil, err
	}
	if err := readJSON(fsys, "accounts.json", &accounts); err != nil {
		return nil, err
	}
	return NewDirectory(outages, accounts)
}

func readJSON(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadInput, name, err)
	}
	return nil
}

// PutOutage adds an outage or replaces the one with the same id. Without match strings
// the area name itself is matched.
func (d *Directory) PutOutage(o dialogs.Outage) error {
	switch {
	case o.ID == "":
		return fmt.Errorf("%w: outage without id", ErrBadInput)
	case o.Kind != "planned" && o.Kind != "fault":
		return fmt.Errorf("%w: outage %s: kind %q is not planned or fault", ErrBadInput, o.ID, o.Kind)
	case o.Start.IsZero() || o.ETA.IsZero() || !o.ETA.After(o.Start):
		return fmt.Errorf("%w: outage %s: eta must be after start", ErrBadInput, o.ID)
	}
	o.Match = slices.DeleteFunc(slices.Clone(o.Match), func(s string) bool { return strings.TrimSpace(s) == "" })
	if len(o.Match) == 0 {
		if o.Area == "" {
			return fmt.Errorf("%w: outage %s has no area and no match", ErrBadInput, o.ID)
		}
		o.Match = []string{o.Area}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if i := slices.IndexFunc(d.outages, func(x dialogs.Outage) bool { return x.ID == o.ID }); i >= 0 {
		d.outages[i] = o
	} else {
		d.outages = append(d.outages, o)
	}
	return nil
}

// OutageList returns every known outage, in force or not.
func (d *Directory) OutageList() []dialogs.Outage {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return slices.Clone(d.outages)
}

// Outages returns the outages whose match strings occur in address and that are in force
// at now (start <= now < eta) or start within horizon after now, earliest first.
func (d *Directory) Outages(address string, now time.Time, horizon time.Duration) []dialogs.Outage {
	address = strings.TrimSpace(address)
	if address == "" {
		return nil
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []dialogs.Outage
	for _, o := range d.outages {
		inForce := !now.Before(o.Start) && now.Before(o.ETA)
		upcoming := o.Start.After(now) && !o.Start.After(now.Add(horizon))
		if !inForce && !upcoming {
			continue
		}
		if slices.ContainsFunc(o.Match, func(m string) bool { return strings.Contains(address, m) }) {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b dialogs.Outage) int { return a.Start.Compare(b.Start) })
	return out
}

// Account finds an account by its number or by the holder's phone (digits compared only).
func (d *Directory) Account(accountOrPhone string) (dialogs.Account, bool) {
	key := digits(accountOrPhone)
	if key == "" {
		return dialogs.Account{}, false
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, a := range d.accounts {
		if digits(a.Account) == key || digits(a.Phone) == key {
			return a, true
		}
	}
	return dialogs.Account{}, false
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
