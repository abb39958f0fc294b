package mail

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/connector/mail/mimeparse"
)

// files picks the attachments to send (in order, until MaxFilesBytes),
// plus raw as "original.eml" when given; left lists what was left out.
func (i *Intake) files(msg *mimeparse.Message, raw []byte) (out []bitrix.FileData, left []string) {
	budget := i.opts.MaxFilesBytes
	add := func(name string, data []byte, size int, omitted bool) {
		if omitted || data == nil || size > budget {
			left = append(left, fmt.Sprintf("%s (%d bytes)", name, size))
			return
		}
		budget -= size
		out = append(out, bitrix.FileData{Name: name, Base64: base64.StdEncoding.EncodeToString(data)})
	}
	for _, a := range msg.Attachments {
		add(a.Filename, a.Data, a.Size, a.Omitted)
	}
	if raw != nil {
		add("original.eml", raw, len(raw), false)
	}
	return out, left
}

// leftOutNote lists attachments that were not attached.
func leftOutNote(left []string) string {
	return "Вложения не приложены (превышен размер) / Attachments left out (size cap): " + strings.Join(left, ", ")
}

// splitName makes NAME and LAST_NAME from a display name ("Иван Петров");
// without one, NAME is the address's local part.
func splitName(a mimeparse.Address) (first, last string) {
	name := strings.Join(strings.Fields(strings.Trim(a.Name, `"' `)), " ")
	if name == "" || strings.Contains(name, "@") {
		local, _, _ := strings.Cut(a.Addr, "@")
		return local, ""
	}
	first, last, _ = strings.Cut(name, " ")
	return first, last
}
