package daemon

// stopping is a part of the daemon asked to stop: done closes when it has.
// running names what is still going inside it (nil: the part itself).
type stopping struct {
	name    string
	done    <-chan struct{}
	running func() []string
}

// goDone runs f in a goroutine and returns a channel closed when it returns.
func goDone(f func()) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	return done
}

// awaitStop waits for each part to stop until deadline is closed, and returns
// the names of those that did not (jobs by name), in order. They keep
// running in the background; their contexts are already cancelled.
func awaitStop(deadline <-chan struct{}, parts []stopping) []string {
	var late []string
	expired := false
	for _, p := range parts {
		if !expired {
			select {
			case <-p.done:
				continue
			case <-deadline:
				expired = true
			}
		}
		select {
		case <-p.done:
			continue
		default:
		}
		if p.running == nil {
			late = append(late, p.name)
			continue
		}
		for _, r := range p.running() {
			late = append(late, p.name+" "+r)
		}
	}
	return late
}
