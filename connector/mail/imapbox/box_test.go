package imapbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/connector/mail/imapbox"
	"github.com/b24desk/b24desk/connector/mail/imaptest"
)

// generous bounds a wait that should end at once; it only matters when a
// test is failing.
const generous = 10 * time.Second

func testConfig(s *imaptest.Server, user, pass string, log *bytes.Buffer) imapbox.Config {
	cfg := imapbox.Config{
		Addr:     s.Addr,
		Security: imapbox.SecurityPlain,
		Username: user,
		Password: pass,
	}
	if log != nil {
		cfg.Logger = zerolog.New(log).Level(zerolog.DebugLevel)
	}
	return cfg
}

func dial(t *testing.T, cfg imapbox.Config) *imapbox.Box {
	t.Helper()
	ctx := t.Context()
	box, err := imapbox.Dial(ctx, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = box.Close() })
	if err := box.EnsureFolders(ctx); err != nil {
		t.Fatalf("EnsureFolders: %v", err)
	}
	if _, err := box.Select(ctx); err != nil {
		t.Fatalf("Select: %v", err)
	}
	return box
}

func mail(n int) []byte {
	return imaptest.Mail(fmt.Sprintf("customer%d@example.test", n), "support@example.test", fmt.Sprintf("Request %d", n), fmt.Sprintf("Body of request %d.", n))
}

func TestBox(t *testing.T) {
	imaptest.ForEach(t, func(t *testing.T, s *imaptest.Server) {
		t.Run("login", func(t *testing.T) { testLogin(t, s) })
		t.Run("folders and status", func(t *testing.T) { testFoldersAndStatus(t, s) })
		t.Run("fetch peeks", func(t *testing.T) { testFetchPeeks(t, s) })
		t.Run("done", func(t *testing.T) { testDone(t, s) })
		t.Run("quarantine", func(t *testing.T) { testQuarantine(t, s) })
		t.Run("size cap", func(t *testing.T) { testSizeCap(t, s) })
		t.Run("count since", func(t *testing.T) { testCountSince(t, s) })
		t.Run("idle wakes", func(t *testing.T) { testIdleWakes(t, s) })
		t.Run("wait timeout and cancel", func(t *testing.T) { testWaitEnds(t, s) })
		t.Run("append", func(t *testing.T) { testAppend(t, s) })
	})
}

func testLogin(t *testing.T, s *imaptest.Server) {
	user, pass := s.NewUser(t)
	for _, auth := range []imapbox.AuthMethod{imapbox.AuthLogin, imapbox.AuthPlain} {
		t.Run(string(auth), func(t *testing.T) {
			var log bytes.Buffer
			cfg := testConfig(s, user, pass, &log)
			cfg.Auth = auth
			box, err := imapbox.Dial(t.Context(), cfg)
			if err != nil {
				t.Fatalf("Dial with the right password: %v", err)
			}
			if err := box.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}

			const wrong = "Wr0ng-S3cret-Pa55"
			cfg.Password = wrong
			_, err = imapbox.Dial(t.Context(), cfg)
			if !errors.Is(err, imapbox.ErrAuthFailed) {
				t.Fatalf("Dial with a wrong password: err = %v, want ErrAuthFailed", err)
			}
			for _, secret := range []string{wrong, pass} {
				if strings.Contains(err.Error(), secret) || strings.Contains(log.String(), secret) {
					t.Errorf("a password leaked: err %q, log %q", err, log.String())
				}
			}
		})
	}
}

func testFoldersAndStatus(t *testing.T, s *imaptest.Server) {
	user, pass := s.NewUser(t)
	s.CreateFolder(t, user, pass, "Done") // one exists already, one does not
	cfg := testConfig(s, user, pass, nil)
	cfg.Processed, cfg.Quarantine = "Done", "Bad mail"
	box := dial(t, cfg)
	folders := s.Folders(t, user, pass)
	for _, want := range []string{"INBOX", "Done", "Bad mail"} {
		if !slices.Contains(folders, want) {
			t.Errorf("folders = %q, missing %q", folders, want)
		}
	}
	if err := box.EnsureFolders(t.Context()); err != nil {
		t.Errorf("second EnsureFolders: %v", err)
	}

	uid1 := s.Append(t, user, pass, "INBOX", mail(1))
	uid2 := s.Append(t, user, pass, "INBOX", mail(2))
	st, err := box.Select(t.Context())
	if err != nil {
		t.Fatalf("Select: %v", err)
	}
	if st.UIDValidity == 0 {
		t.Error("UIDValidity is 0")
	}
	if st.UIDNext <= uid2 || uid2 <= uid1 {
		t.Errorf("UIDNext = %d after UIDs %d, %d", st.UIDNext, uid1, uid2)
	}
	if st.Messages != 2 {
		t.Errorf("Messages = %d, want 2", st.Messages)
	}
}

func testFetchPeeks(t *testing.T, s *imaptest.Server) {
	user, pass := s.NewUser(t)
	var uids []uint32
	for i := range 5 {
		uids = append(uids, s.Append(t, user, pass, "INBOX", mail(i)))
	}
	box := dial(t, testConfig(s, user, pass, nil))

	got, err := box.FetchSince(t.Context(), uids[1], 2)
	if err != nil {
		t.Fatalf("FetchSince: %v", err)
	}
	if len(got) != 2 || got[0].UID != uids[2] || got[1].UID != uids[3] {
		t.Fatalf("FetchSince(%d, 2) = %v, want UIDs %d, %d", uids[1], fetchedUIDs(got), uids[2], uids[3])
	}
	if !bytes.Equal(got[0].Raw, mail(2)) || got[0].Size != int64(len(mail(2))) || got[0].Truncated {
		t.Errorf("mail 2: size %d truncated %v raw %q", got[0].Size, got[0].Truncated, got[0].Raw)
	}
	if got[0].InternalDate.IsZero() {
		t.Error("InternalDate is zero")
	}
	rest, err := box.FetchSince(t.Context(), uids[4], 10)
	if err != nil || len(rest) != 0 {
		t.Errorf("FetchSince(last UID) = %v, %v; want nothing", fetchedUIDs(rest), err)
	}
	for _, m := range s.List(t, user, pass, "INBOX") {
		if m.HasFlag(`\Seen`) {
			t.Errorf("UID %d was marked \\Seen by fetching: %v", m.UID, m.Flags)
		}
	}
}

func fetchedUIDs(l []imapbox.Fetched) []uint32 {
	var out []uint32
	for _, f := range l {
		out = append(out, f.UID)
	}
	return out
}

func testDone(t *testing.T, s *imaptest.Server) {
	for _, tc := range []struct {
		name         string
		disableMove  bool
		leaveInPlace bool
	}{
		{"move", false, false},
		{"copy and expunge", true, false},
		{"leave in place", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			user, pass := s.NewUser(t)
			keep := s.Append(t, user, pass, "INBOX", mail(1))
			done := s.Append(t, user, pass, "INBOX", mail(2))
			cfg := testConfig(s, user, pass, nil)
			cfg.DisableMove = tc.disableMove
			box := dial(t, cfg)
			if err := box.Done(t.Context(), done, tc.leaveInPlace); err != nil {
				t.Fatalf("Done: %v", err)
			}
			inbox := s.List(t, user, pass, "INBOX")
			processed := s.List(t, user, pass, imapbox.DefaultProcessed)
			var handled imaptest.MessageInfo
			if tc.leaveInPlace {
				if len(inbox) != 2 || len(processed) != 0 {
					t.Fatalf("INBOX %d, Processed %d mails; want 2, 0", len(inbox), len(processed))
				}
				handled = inbox[1]
			} else {
				if len(inbox) != 1 || inbox[0].UID != keep || len(processed) != 1 {
					t.Fatalf("INBOX %v, Processed %d mails; want only UID %d, 1", inbox, len(processed), keep)
				}
				handled = processed[0]
				if handled.HasFlag(`\Deleted`) {
					t.Errorf("processed copy is \\Deleted: %v", handled.Flags)
				}
			}
			if !bytes.Equal(handled.Raw, mail(2)) || !handled.HasFlag(`\Seen`) {
				t.Errorf("handled mail flags %v, raw %q; want \\Seen and mail 2", handled.Flags, handled.Raw)
			}
			if inbox[0].HasFlag(`\Seen`) {
				t.Errorf("untouched mail got flags %v", inbox[0].Flags)
			}
		})
	}
}

func testQuarantine(t *testing.T, s *imaptest.Server) {
	for _, disableMove := range []bool{false, true} {
		t.Run(fmt.Sprintf("disable move %v", disableMove), func(t *testing.T) {
			user, pass := s.NewUser(t)
			uid := s.Append(t, user, pass, "INBOX", mail(1))
			cfg := testConfig(s, user, pass, nil)
			cfg.DisableMove = disableMove
			box := dial(t, cfg)
			if err := box.Quarantine(t.Context(), uid); err != nil {
				t.Fatalf("Quarantine: %v", err)
			}
			if inbox := s.List(t, user, pass, "INBOX"); len(inbox) != 0 {
				t.Errorf("INBOX still holds %d mails", len(inbox))
			}
			q := s.List(t, user, pass, imapbox.DefaultQuarantine)
			if len(q) != 1 || !bytes.Equal(q[0].Raw, mail(1)) || q[0].HasFlag(`\Seen`) || q[0].HasFlag(`\Deleted`) {
				t.Fatalf("Quarantine = %+v, want mail 1, unread", q)
			}
		})
	}
}

func testSizeCap(t *testing.T, s *imaptest.Server) {
	user, pass := s.NewUser(t)
	big := []byte("From: a@example.test\r\nTo: support@example.test\r\nSubject: Big one\r\nMessage-ID: <big@example.test>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease see the attached log.\r\n" +
		"--b1\r\nContent-Type: application/octet-stream; name=\"log.bin\"\r\nContent-Disposition: attachment; filename=\"log.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwMTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0\r\n", 2000) +
		"--b1--\r\n")
	small := mail(7)
	uidBig := s.Append(t, user, pass, "INBOX", big)
	uidSmall := s.Append(t, user, pass, "INBOX", small)
	cfg := testConfig(s, user, pass, nil)
	cfg.MaxSize = 10_000
	box := dial(t, cfg)
	got, err := box.FetchSince(t.Context(), 0, 10)
	if err != nil {
		t.Fatalf("FetchSince: %v", err)
	}
	if len(got) != 2 || got[0].UID != uidBig || got[1].UID != uidSmall {
		t.Fatalf("got UIDs %v, want %d, %d", fetchedUIDs(got), uidBig, uidSmall)
	}
	b := got[0]
	if !b.Truncated || b.Size != int64(len(big)) || len(b.Raw) > 2000 {
		t.Errorf("big mail: truncated %v, size %d, raw %d bytes", b.Truncated, b.Size, len(b.Raw))
	}
	for _, want := range []string{"Subject: Big one", "Message-ID: <big@example.test>", "Content-Type: text/plain", "Please see the attached log.", "X-B24desk-Truncated: yes"} {
		if !bytes.Contains(b.Raw, []byte(want)) {
			t.Errorf("truncated mail lacks %q:\n%s", want, b.Raw)
		}
	}
	if bytes.Contains(b.Raw, []byte("multipart/mixed")) {
		t.Errorf("truncated mail kept the multipart header:\n%s", b.Raw)
	}
	if got[1].Truncated || !bytes.Equal(got[1].Raw, small) {
		t.Errorf("small mail altered: truncated %v", got[1].Truncated)
	}
}

func testCountSince(t *testing.T, s *imaptest.Server) {
	user, pass := s.NewUser(t)
	c := s.Dial(t, user, pass)
	for i, day := range []int{1, 5, 9, 10} {
		raw := mail(i)
		cmd := c.Append("INBOX", int64(len(raw)), appendOptsAt(time.Date(2025, 3, day, 12, 0, 0, 0, time.UTC)))
		if _, err := cmd.Write(raw); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	box := dial(t, testConfig(s, user, pass, nil))
	for _, tc := range []struct {
		since time.Time
		want  int
	}{
		{time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), 4},
		{time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC), 3},
		{time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC), 1},
		{time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), 0},
	} {
		n, err := box.CountSince(t.Context(), tc.since)
		if err != nil || n != tc.want {
			t.Errorf("CountSince(%s) = %d, %v; want %d", tc.since.Format(time.DateOnly), n, err, tc.want)
		}
	}
	uids, err := box.UIDsSince(t.Context(), time.Date(2025, 3, 9, 0, 0, 0, 0, time.UTC))
	if err != nil || len(uids) != 2 || uids[0] >= uids[1] {
		t.Errorf("UIDsSince = %v, %v; want two ascending UIDs", uids, err)
	}
}

func testIdleWakes(t *testing.T, s *imaptest.Server) {
	user, pass := s.NewUser(t)
	box := dial(t, testConfig(s, user, pass, nil))
	if !box.HasIDLE() {
		t.Fatal("server offers no IDLE")
	}
	if _, err := box.FetchSince(t.Context(), 0, 10); err != nil {
		t.Fatal(err)
	}
	woke := make(chan error, 1)
	go func() { woke <- box.Wait(context.Background(), time.Hour) }()
	// Append from another connection, until Wait returns (the first
	// APPEND may come before IDLE has started; it must still wake Wait).
	uid := s.Append(t, user, pass, "INBOX", mail(1))
	select {
	case err := <-woke:
		if err != nil {
			t.Fatalf("Wait: %v", err)
		}
	case <-time.After(generous):
		t.Fatal("Wait did not return after an APPEND")
	}
	got, err := box.FetchSince(t.Context(), 0, 10)
	if err != nil || len(got) != 1 || got[0].UID != uid {
		t.Fatalf("after wake: %v, %v; want UID %d", fetchedUIDs(got), err, uid)
	}
	// The box still works after IDLE.
	if err := box.Done(t.Context(), uid, false); err != nil {
		t.Fatalf("Done after IDLE: %v", err)
	}
}

func testWaitEnds(t *testing.T, s *imaptest.Server) {
	user, pass := s.NewUser(t)
	for _, disableIdle := range []bool{false, true} {
		t.Run(fmt.Sprintf("disable IDLE %v", disableIdle), func(t *testing.T) {
			cfg := testConfig(s, user, pass, nil)
			cfg.DisableIDLE = disableIdle
			box := dial(t, cfg)
			if box.HasIDLE() == disableIdle {
				t.Fatalf("HasIDLE = %v with DisableIDLE %v", box.HasIDLE(), disableIdle)
			}
			if _, err := box.FetchSince(t.Context(), 0, 10); err != nil {
				t.Fatal(err)
			}
			if err := box.Wait(t.Context(), 20*time.Millisecond); err != nil {
				t.Fatalf("Wait with a short max: %v", err)
			}
			if !disableIdle {
				// One IDLE lasts at most IdleRecheck even when max is long:
				// a lost new-mail notice costs at most that delay.
				recheck := dial(t, func() imapbox.Config {
					c := testConfig(s, user, pass, nil)
					c.IdleRecheck = 50 * time.Millisecond
					return c
				}())
				ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
				err := recheck.Wait(ctx, time.Hour)
				cancel()
				if err != nil {
					t.Fatalf("Wait with a short IdleRecheck did not return by itself: %v", err)
				}
			}
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			if err := box.Wait(ctx, time.Hour); !errors.Is(err, context.Canceled) {
				t.Fatalf("Wait on a cancelled context = %v, want context.Canceled", err)
			}
		})
	}
}

func testAppend(t *testing.T, s *imaptest.Server) {
	user, pass := s.NewUser(t)
	s.CreateFolder(t, user, pass, "Sent")
	box := dial(t, testConfig(s, user, pass, nil))
	if _, err := box.Append(t.Context(), "Sent", mail(3), []string{`\Seen`}, time.Time{}); err != nil {
		t.Fatalf("Append: %v", err)
	}
	sent := s.List(t, user, pass, "Sent")
	if len(sent) != 1 || !sent[0].HasFlag(`\Seen`) || !bytes.Equal(sent[0].Raw, mail(3)) {
		t.Fatalf("Sent = %+v", sent)
	}
}

func TestXOAuth2NotOffered(t *testing.T) {
	s := imaptest.StartMemory(t)
	user, pass := s.NewUser(t)
	cfg := testConfig(s, user, pass, nil)
	cfg.Auth = imapbox.AuthXOAuth2
	cfg.Token = func(context.Context) (string, error) { return "token-secret", nil }
	_, err := imapbox.Dial(t.Context(), cfg)
	if !errors.Is(err, imapbox.ErrNotSupported) || strings.Contains(err.Error(), "token-secret") {
		t.Fatalf("Dial = %v, want ErrNotSupported without the token", err)
	}
}

func TestNotSelected(t *testing.T) {
	s := imaptest.StartMemory(t)
	user, pass := s.NewUser(t)
	box, err := imapbox.Dial(t.Context(), testConfig(s, user, pass, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer box.Close()
	if _, err := box.FetchSince(t.Context(), 0, 1); !errors.Is(err, imapbox.ErrNotSelected) {
		t.Errorf("FetchSince before Select = %v, want ErrNotSelected", err)
	}
}
