package sim

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/clock"
)

// DefaultWebhookSecret is the inbound webhook secret a Portal uses when
// Options.WebhookSecret is empty. It is a test value, not a credential.
const DefaultWebhookSecret = "s1mw3bh00ks3cr3t"

// DefaultAppToken is the application token outgoing events carry when
// Options.AppToken is empty.
const DefaultAppToken = "s1map9t0k3n0000000000000000000aa"

// Options configure a Portal. The zero value is a working portal with the
// regular plan's limits.
type Options struct {
	Clock     clock.Clock    // portal time (dates, events, tokens); default clock.System{}
	WallClock clock.Clock    // time for the request limits; default clock.System{}
	Location  *time.Location // portal time zone; default Europe/Moscow
	Logger    zerolog.Logger // default: discard

	Domain        string // portal domain in events; default b24desk-sim.bitrix24.ru
	WebhookUserID int    // user of the inbound webhook; default 1
	WebhookSecret string // default DefaultWebhookSecret
	AppToken      string // application token of outgoing events; default DefaultAppToken

	Rate     float64 // leaky bucket drain per second; default 2
	Burst    int     // leaky bucket capacity; default 50
	NoLimits bool    // switch the leaky bucket off

	// OperatingLimit switches the operating-time limit on (0: off): the
	// seconds of execution a method may use in 10 minutes.
	OperatingLimit time.Duration
	// OperatingCost is the simulated execution time of one call; default 100ms.
	OperatingCost time.Duration

	ClientID     string        // OAuth client_id; default local.sim
	ClientSecret string        // OAuth client_secret; default simclientsecret
	TokenTTL     time.Duration // access token lifetime; default 1h
	RefreshTTL   time.Duration // refresh token lifetime; default 180 days

	EventDelay time.Duration // delay before an event is pushed; default 50ms
	Scopes     []string      // default crm,bizproc,im,user,department
}

// Portal is an in-memory Bitrix24 portal serving the REST API over HTTP.
type Portal struct {
	opts  Options
	clk   clock.Clock
	wall  clock.Clock
	loc   *time.Location
	log   zerolog.Logger
	table map[string]method
	defs  []fieldDef          // standard lead fields, in order
	index map[string]fieldDef // the same by name

	mu sync.Mutex
	st state

	events *eventQueue
}

// handlerFunc runs one method; it is called with p.mu held.
type handlerFunc func(c *call) (outcome, *apiError)

// method is an entry of the method table.
type method struct {
	fn      handlerFunc
	scope   string // required scope, "" for none
	write   bool   // changes state (for the lost-answer faults)
	appOnly bool   // works only with OAuth (app context)
}

// call is one method invocation, top-level or inside a batch.
type call struct {
	ctx     context.Context
	method  string
	params  params
	app     bool // OAuth (application) context
	user    int  // the calling user
	inBatch bool
}

// New returns a Portal with the default dictionaries, one admin user and
// one department. Close it to stop the event sender.
func New(opts Options) *Portal {
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.WallClock == nil {
		opts.WallClock = clock.System{}
	}
	if opts.Location == nil {
		loc, err := time.LoadLocation("Europe/Moscow")
		if err != nil {
			loc = time.FixedZone("MSK", 3*3600)
		}
		opts.Location = loc
	}
	if opts.Domain == "" {
		opts.Domain = "b24desk-sim.bitrix24.ru"
	}
	if opts.WebhookUserID == 0 {
		opts.WebhookUserID = 1
	}
	if opts.WebhookSecret == "" {
		opts.WebhookSecret = DefaultWebhookSecret
	}
	if opts.AppToken == "" {
		opts.AppToken = DefaultAppToken
	}
	if opts.Rate <= 0 {
		opts.Rate = 2
	}
	if opts.Burst <= 0 {
		opts.Burst = 50
	}
	if opts.OperatingCost <= 0 {
		opts.OperatingCost = 100 * time.Millisecond
	}
	if opts.ClientID == "" {
		opts.ClientID = "local.sim"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "simclientsecret"
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = time.Hour
	}
	if opts.RefreshTTL <= 0 {
		opts.RefreshTTL = 180 * 24 * time.Hour
	}
	if opts.EventDelay < 0 {
		opts.EventDelay = 0
	} else if opts.EventDelay == 0 {
		opts.EventDelay = 50 * time.Millisecond
	}
	if len(opts.Scopes) == 0 {
		opts.Scopes = []string{"crm", "bizproc", "im", "user", "department"}
	}
	p := &Portal{
		opts: opts,
		clk:  opts.Clock,
		wall: opts.WallClock,
		loc:  opts.Location,
		log:  opts.Logger.With().Str("component", "sim").Logger(),
	}
	p.st = newState(opts)
	p.table = p.methods()
	p.defs, p.index = leadFieldDefs(), fieldIndex()
	p.events = newEventQueue(p.log, opts.EventDelay)
	return p
}

// state is everything the portal stores; guarded by Portal.mu.
type state struct {
	rng     *rand.Rand
	seq     map[string]int // ID counters per kind
	calls   []Call
	faults  Faults
	hole    chan struct{} // closed when the blackhole (Faults.Blackhole) ends; nil without one
	crmMode int
	unknown map[string]bool // methods answered ERROR_METHOD_NOT_FOUND (ForgetMethods)
	admin   bool
	scopes  []string

	leads   map[int]*lead
	leadIDs []int // ascending
	files   map[int]*File

	statuses   []*statusEntry
	userFields []*userField
	comments   []*Comment
	notes      []Notification
	notesSent  []Notification // every notification sent, those a TAG removed included (Audit)
	users      []User
	depts      []Department
	templates  []Template
	workflows  []WorkflowStart
	todos      []*Todo

	bindings []binding
	offline  []*offlineEvent

	bucket    bucket
	operating map[string]*opWindow

	tokens   map[string]token // access tokens
	refresh  map[string]token // refresh tokens
	authCode map[string]bool
	codeUser map[string]int
}

func newState(opts Options) state {
	st := state{
		rng:       rand.New(rand.NewPCG(1, 2)),
		seq:       map[string]int{},
		crmMode:   1,
		admin:     true,
		scopes:    append([]string(nil), opts.Scopes...),
		leads:     map[int]*lead{},
		files:     map[int]*File{},
		operating: map[string]*opWindow{},
		tokens:    map[string]token{},
		refresh:   map[string]token{},
		authCode:  map[string]bool{},
		codeUser:  map[string]int{},
	}
	st.seedStatuses()
	st.users = []User{{ID: opts.WebhookUserID, Name: "Admin", LastName: "Portal", Email: "admin@example.com", Active: true, Departments: []int{1}}}
	st.depts = []Department{{ID: 1, Name: "Company", Sort: 500, Head: opts.WebhookUserID}}
	st.seq["user"] = opts.WebhookUserID
	st.seq["dept"] = 1
	return st
}

// next returns the next ID of a kind (leads, files, comments...).
func (s *state) next(kind string) int {
	s.seq[kind]++
	return s.seq[kind]
}

// WebhookURL returns the inbound webhook URL on base (e.g. an httptest
// server's URL): base + "/rest/USER/SECRET/".
func (p *Portal) WebhookURL(base string) string {
	return strings.TrimRight(base, "/") + "/rest/" + idStr(p.opts.WebhookUserID) + "/" + p.opts.WebhookSecret + "/"
}

// AppToken returns the application token outgoing events carry.
func (p *Portal) AppToken() string { return p.opts.AppToken }

// Close stops the event sender (events not yet sent are dropped); the
// connections a blackhole holds are closed with it (hold).
func (p *Portal) Close() { p.events.close() }

// ServeHTTP serves the REST API, the OAuth token endpoint, the faults and
// the simulator's control endpoint (control.go).
func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.serveControl(w, r) {
		return
	}
	if strings.HasSuffix(strings.TrimRight(r.URL.Path, "/"), "/oauth/token") {
		p.serveOAuth(w, r)
		return
	}
	i := strings.Index(r.URL.Path, "/rest/")
	if i < 0 {
		writeHTML(w, http.StatusNotFound, "404 Not Found")
		return
	}
	p.serveREST(w, r, r.URL.Path[i+len("/rest/"):])
}
