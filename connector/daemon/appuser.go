package daemon

import (
	"context"
	"strconv"
	"time"

	"github.com/b24desk/b24desk/config"
)

// appUserSetting keeps the OAuth app's user learned at the last start, for
// a start while the portal cannot be reached.
const appUserSetting = "portal.app_user_id"

// appUserTimeout bounds the user.current call at start.
const appUserTimeout = 10 * time.Second

// portalUser is the user b24desk acts as in the portal: a hand-made lead
// assigned to it is routed like an unassigned one. With a webhook it is the
// URL's user; in OAuth mode it is asked with user.current (and remembered
// in the state), so that a start with the portal down uses the last known
// one. 0 when unknown: then only the rules' unassigned_users are routed.
func (d *Daemon) portalUser(ctx context.Context) int {
	if d.cfg.Portal.AuthMode() != config.AuthOAuth {
		return webhookUserID(d.cfg.Portal)
	}
	stored := 0
	if v, found, err := d.st.Setting(ctx, appUserSetting); err == nil && found {
		stored, _ = strconv.Atoi(v)
	}
	cctx, cancel := context.WithTimeout(ctx, appUserTimeout)
	defer cancel()
	u, err := d.portal.c.UserCurrent(cctx)
	if err != nil || u.ID <= 0 {
		ev := d.log.Warn().Int("user", stored)
		if err != nil {
			ev = ev.Err(err)
		}
		ev.Msg("OAuth app user not learned from the portal (user.current): using the one stored at the last start")
		return stored
	}
	id := int(u.ID)
	if id != stored {
		if err := d.st.PutSetting(ctx, appUserSetting, strconv.Itoa(id)); err != nil {
			d.log.Warn().Err(err).Msg("OAuth app user not saved in the state")
		}
	}
	d.log.Info().Int("user", id).Msg("OAuth app user learned: hand-made leads assigned to it are routed")
	return id
}
