package notify

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"text/template"
)

// The wording of every message lives in these files, so it can be changed
// without reading Go. See view for the fields a template can use.
//
//go:embed templates/*.tmpl
var templateFiles embed.FS

// Bounds of the single-line channels, in characters (runes).
const (
	// maxSubject is SNS's limit on an email subject ("under 100").
	maxSubject = 99
	// maxSMS keeps an SMS in one 140-byte, 160-character GSM-7 segment once
	// SNS has put the topic's display name in front of it: our topics are
	// named "ami-notify", which with "> " takes 12 characters, and the
	// remaining 148 are rounded down to leave room for a longer name.
	maxSMS = 128
	// maxPushTitle and maxPushBody are about what a lock screen shows; with
	// at most 4 bytes a character they keep each push payload far below
	// the 4,096 bytes APNs and FCM accept.
	maxPushTitle = 100
	maxPushBody  = 300
	// maxSummary bounds the one-line summary (email, default, push, document).
	maxSummary = 300
	// maxPushPayload is the APNs and FCM limit on a payload.
	maxPushPayload = 4096
	// minName is the shortest useful shortened name: below it the name is
	// left out of a subject or SMS rather than shown as a stump.
	minName = 8
)

// Bounds of the event's fields in single-line channels. Real values are
// far shorter (ami- and 17 hex digits, "deregistered", "ap-southeast-5"):
// the bounds only matter for malformed input, and are small enough that
// state, image id and region always fit in a subject together.
const (
	maxStateASCII  = 20
	maxIDASCII     = 24
	maxRegionASCII = 20
	maxField       = 64  // any other short field in a UTF-8 channel
	maxReason      = 256 // why enrichment failed: an AWS error code and message
)

// attributeReserve is left free under SNS's message size limit for the
// message attributes the publisher adds (SNS counts them in the limit).
const attributeReserve = 4096

// stateKeys name the template sets: one per state with its own wording,
// and "other" for any state EC2 may add.
var stateKeys = [...]string{StateAvailable, StateFailed, StateDeregistered, StateDisabled, "other"}

// stateTemplates are the templates that differ from state to state.
type stateTemplates struct {
	summary, subject, sms, title, email *template.Template
}

// Renderer turns notifications into messages. Make one with NewRenderer
// and reuse it: it is safe for concurrent use.
type Renderer struct {
	states   map[string]*stateTemplates
	pushBody *template.Template
	text     *template.Template // the "default" protocol
	buffers  sync.Pool
}

// NewRenderer parses the embedded templates.
func NewRenderer() (*Renderer, error) {
	root, err := template.New("notify").ParseFS(templateFiles, "templates/*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	var missing []string
	lookup := func(name string) *template.Template {
		t := root.Lookup(name)
		if t == nil {
			missing = append(missing, name)
		}
		return t
	}
	r := &Renderer{
		states:   make(map[string]*stateTemplates, len(stateKeys)),
		pushBody: lookup("push.body"),
		text:     lookup("default"),
		buffers:  sync.Pool{New: func() any { return new(bytes.Buffer) }},
	}
	for _, key := range stateKeys {
		r.states[key] = &stateTemplates{
			summary: lookup(key + ".summary"),
			subject: lookup(key + ".subject"),
			sms:     lookup(key + ".sms"),
			title:   lookup(key + ".title"),
			email:   lookup(key + ".email"),
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("templates not defined: %s", strings.Join(missing, ", "))
	}
	return r, nil
}

// view is what templates see. It is passed by value: text/template then
// prints its strings without copying them. Every string is already
// sanitised for the channel being rendered (printable ASCII for the
// subject and SMS, one line of UTF-8 elsewhere), and never empty for the
// state, image id and region.
type view struct {
	State     string // the event's state, as EC2 spells it
	ImageID   string
	Region    string
	Account   string
	EventID   string
	RequestID string
	Time      string // "2006-01-02 15:04:05 UTC", or the event's time as written when it was not RFC 3339
	Error     string // the event's ErrorMessage (failed images), "" otherwise
	Name      string // the image name, "" when unknown

	Public bool // the image is launchable by every AWS account

	// Exactly one of these is true.
	Enriched     bool // Image is filled in
	InRecycleBin bool // deregistered, restorable until RestoreUntil
	NotFound     bool // EC2 no longer knows the image
	Unavailable  bool // EC2 could not be asked; EnrichmentError says why

	// HasDetails: Image is filled in. True for Enriched, and for
	// InRecycleBin when EC2 still showed the image.
	HasDetails bool

	EnrichmentError string
	RestoreUntil    string // UTC; "" when the Recycle Bin did not say
	ConsoleURL      string // "" when the region has no public console
	Summary         string // the rendered summary; "" inside the summary templates

	// Image holds the details for the email, every string cleaned to one
	// bounded line (see boundedImage); MoreTags and MoreDevices count the
	// tags and block devices left out to keep the message small. They are
	// plain fields, not an embedded struct: text/template looks up a
	// promoted field with an allocating search on every use.
	Image       Image
	MoreTags    int
	MoreDevices int
}

// Render renders n for every channel. It is pure: no AWS, no clock. When
// the details would make the SNS message too large, the email and the
// document carry fewer of them (see ladder). An error means a template
// failed, which the golden tests rule out, or, in theory, ErrTooLarge.
func (r *Renderer) Render(n Notification) (Message, error) {
	v := baseView(n)
	st := r.states[v.State]
	if st == nil {
		st = r.states["other"]
	}
	buf := r.buffers.Get().(*bytes.Buffer)
	defer r.buffers.Put(buf)
	var m Message

	summary, err := execute(buf, st.summary, v)
	if err != nil {
		return Message{}, err
	}
	v.Summary = clean(summary, maxSummary, modeLine)

	// Subject and SMS: printable ASCII, the name shortened to fit.
	av := v
	av.State = orUnknown(clean(n.Change.State, maxStateASCII, modeASCII), "unknown")
	av.ImageID = orUnknown(clean(n.Change.ImageID, maxIDASCII, modeASCII), "unknown image")
	av.Region = orUnknown(clean(n.Change.Region, maxRegionASCII, modeASCII), "unknown region")
	av.Name = clean(n.Name(), ladder[0].name, modeASCII)
	if m.Subject, err = fit(buf, st.subject, av, maxSubject, modeASCII); err != nil {
		return Message{}, err
	}
	if m.Subject == "" {
		return Message{}, errors.New("render subject: the template wrote nothing")
	}
	if m.SMS, err = fit(buf, st.sms, av, maxSMS, modeGSM); err != nil {
		return Message{}, err
	}

	if m.APNS, m.GCM, err = r.push(buf, st, v); err != nil {
		return Message{}, err
	}
	if m.Default, err = execute(buf, r.text, v); err != nil {
		return Message{}, err
	}

	// Email and document carry the details; shrink them until SNS takes
	// the whole message.
	for _, lim := range ladder {
		v.Image, v.MoreTags, v.MoreDevices, v.Name = detailsView(n, lim)
		v.Error = clean(n.Change.ErrorMessage, lim.text, modeLine)
		if m.Email, err = execute(buf, st.email, v); err != nil {
			return Message{}, err
		}
		doc := document(n, lim, v.Summary, v.ConsoleURL)
		if m.Document, err = marshalJSON(buf, doc); err != nil {
			return Message{}, fmt.Errorf("encode document: %w", err)
		}
		if structureLen(m) <= MaxMessageBytes-attributeReserve {
			return m, nil
		}
	}
	return Message{}, fmt.Errorf("render %s: %w", n.Change.ImageID, ErrTooLarge)
}

// baseView fills the fields every channel shares, as single lines of UTF-8.
func baseView(n Notification) view {
	c := n.Change
	v := view{
		State:           orUnknown(clean(c.State, maxField, modeLine), "unknown"),
		ImageID:         orUnknown(clean(c.ImageID, maxField, modeLine), "unknown image"),
		Region:          orUnknown(clean(c.Region, maxField, modeLine), "unknown region"),
		Account:         clean(c.Account, maxField, modeLine),
		EventID:         clean(c.EventID, maxField, modeLine),
		RequestID:       clean(c.RequestID, maxField, modeLine),
		Name:            clean(n.Name(), ladder[0].name, modeLine),
		Public:          n.Public(),
		EnrichmentError: clean(n.EnrichmentError, maxReason, modeLine),
		ConsoleURL:      consoleURL(c.Region, c.ImageID),
	}
	switch {
	case !c.Time.IsZero():
		v.Time = c.Time.UTC().Format(readableTime)
	default:
		v.Time = orUnknown(clean(c.RawTime, maxField, modeLine), "unknown time")
	}
	v.HasDetails = n.Image != nil
	switch n.Enrichment {
	case Enriched:
		v.Enriched = n.Image != nil
		v.NotFound = n.Image == nil // enriched without an image tells nothing
	case InRecycleBin:
		v.InRecycleBin = true
		if n.RecycleBin != nil {
			v.RestoreUntil = formatTime(n.RecycleBin.ExitTime, readableTime)
		}
	case NotFound:
		v.NotFound = true
	default:
		v.Unavailable = true
		if v.EnrichmentError == "" {
			v.EnrichmentError = "unknown reason"
		}
	}
	return v
}

// detailsView returns the image details for the email within lim, how
// many tags and block devices it left out, and the name at lim's length.
func detailsView(n Notification, lim limits) (img Image, moreTags, moreDevices int, name string) {
	line := func(s string, limit int) string { return clean(s, limit, modeLine) }
	name = line(n.Name(), lim.name)
	if n.Image == nil {
		return Image{}, 0, 0, name
	}
	img, moreTags, moreDevices = boundedImage(n.Image, lim, line)
	return img, moreTags, moreDevices, name
}

// boundedImage returns a copy of img with every string passed through text
// at its limit in lim, its tags sorted, and at most lim.tags tags and
// lim.devices block devices; it reports how many of each it left out. The
// email and the document both build on it, so each field's limit is set
// here once.
func boundedImage(img *Image, lim limits, text func(s string, limit int) string) (out Image, moreTags, moreDevices int) {
	out = Image{
		Name:               text(img.Name, lim.name),
		Description:        text(img.Description, lim.description),
		OwnerID:            text(img.OwnerID, lim.short),
		OwnerAlias:         text(img.OwnerAlias, lim.short),
		ImageState:         text(img.ImageState, lim.short),
		Architecture:       text(img.Architecture, lim.short),
		Platform:           text(img.Platform, lim.short),
		PlatformDetails:    text(img.PlatformDetails, lim.short),
		VirtualizationType: text(img.VirtualizationType, lim.short),
		RootDeviceType:     text(img.RootDeviceType, lim.short),
		RootDeviceName:     text(img.RootDeviceName, lim.short),
		BootMode:           text(img.BootMode, lim.short),
		ENASupport:         img.ENASupport,
		IMDSSupport:        text(img.IMDSSupport, lim.short),
		CreationDate:       text(img.CreationDate, lim.short),
		DeprecationTime:    text(img.DeprecationTime, lim.short),
		Public:             img.Public,
		SourceImageID:      text(img.SourceImageID, lim.short),
		SourceRegion:       text(img.SourceRegion, lim.short),
		StateReason:        text(img.StateReason, lim.text),
	}
	tags := sortedTags(img.Tags)
	if len(tags) > lim.tags {
		moreTags = len(tags) - lim.tags
		tags = tags[:lim.tags]
	}
	if len(tags) > 0 {
		out.Tags = make([]Tag, len(tags))
		for i, t := range tags {
			out.Tags[i] = Tag{Key: text(t.Key, lim.tagKey), Value: text(t.Value, lim.tagValue)}
		}
	}
	devices := img.BlockDevices
	if len(devices) > lim.devices {
		moreDevices = len(devices) - lim.devices
		devices = devices[:lim.devices]
	}
	if len(devices) > 0 {
		out.BlockDevices = make([]BlockDevice, len(devices))
		for i, bd := range devices {
			out.BlockDevices[i] = BlockDevice{
				DeviceName: text(bd.DeviceName, lim.short),
				SnapshotID: text(bd.SnapshotID, lim.short),
				SizeGiB:    bd.SizeGiB,
				VolumeType: text(bd.VolumeType, lim.short),
				Encrypted:  bd.Encrypted,
			}
		}
	}
	return out, moreTags, moreDevices
}

// Push payloads, as SNS passes them to APNs and to FCM (HTTP v1 form).
type (
	pushAlert struct {
		Title string `json:"title"`
		Body  string `json:"body"`
	}
	apnsPayload struct {
		APS struct {
			Alert pushAlert `json:"alert"`
		} `json:"aps"`
	}
	fcmPayload struct {
		FCMV1Message struct {
			Message struct {
				Notification pushAlert `json:"notification"`
				Data         fcmData   `json:"data"`
			} `json:"message"`
		} `json:"fcmV1Message"`
	}
	// fcmData values must be strings for FCM.
	fcmData struct {
		ImageID string `json:"image_id"`
		State   string `json:"state"`
		Region  string `json:"region"`
	}
)

// push renders the APNS and GCM payloads. They carry no description, tags
// or error text: push payloads show on lock screens and pass through
// Apple's and Google's services.
func (r *Renderer) push(buf *bytes.Buffer, st *stateTemplates, v view) (apns, gcm string, err error) {
	title, err := execute(buf, st.title, v)
	if err != nil {
		return "", "", err
	}
	body, err := execute(buf, r.pushBody, v)
	if err != nil {
		return "", "", err
	}
	alert := pushAlert{Title: clean(title, maxPushTitle, modeLine), Body: clean(body, maxPushBody, modeLine)}

	var a apnsPayload
	a.APS.Alert = alert
	if apns, err = encodePush(buf, a); err != nil {
		return "", "", err
	}
	var f fcmPayload
	f.FCMV1Message.Message.Notification = alert
	f.FCMV1Message.Message.Data = fcmData{ImageID: v.ImageID, State: v.State, Region: v.Region}
	if gcm, err = encodePush(buf, f); err != nil {
		return "", "", err
	}
	return apns, gcm, nil
}

// encodePush encodes a push payload and checks its size, which the bounds
// above already guarantee.
func encodePush(buf *bytes.Buffer, payload any) (string, error) {
	b, err := marshalJSON(buf, payload)
	if err != nil {
		return "", fmt.Errorf("encode push payload: %w", err)
	}
	if len(b) > maxPushPayload {
		return "", fmt.Errorf("push payload of %d bytes: %w", len(b), ErrTooLarge)
	}
	return b, nil
}

// execute runs t on v and returns what it wrote.
func execute(buf *bytes.Buffer, t *template.Template, v view) (string, error) {
	buf.Reset()
	if err := t.Execute(buf, v); err != nil {
		return "", fmt.Errorf("render %s: %w", t.Name(), err)
	}
	return buf.String(), nil
}

// fit renders t as one line of mode (ASCII or GSM) of at most max
// characters. When it is too long the name is shortened, with an ellipsis,
// or left out; the image id, state and region are never shortened here.
// Only if the text is still too long without a name (a template whose
// wording is too long, or malformed event fields) is the end cut.
func fit(buf *bytes.Buffer, t *template.Template, v view, limit int, mode cleanMode) (string, error) {
	for {
		out, err := execute(buf, t, v)
		if err != nil {
			return "", err
		}
		out = clean(out, noLimit, mode)
		if len(out) <= limit {
			return out, nil
		}
		if v.Name == "" {
			return clean(out, limit, mode), nil
		}
		// ASCII: one byte per character. The new name, ellipsis included,
		// is shorter by what the text is too long.
		keep := len(v.Name) - (len(out) - limit)
		if keep < minName {
			v.Name = ""
		} else {
			v.Name = clean(v.Name, keep, mode)
		}
	}
}

// orUnknown returns s, or placeholder when s is empty.
func orUnknown(s, placeholder string) string {
	if s == "" {
		return placeholder
	}
	return s
}

// consoleURL links to the image in the EC2 console of its region, in the
// region's partition. It returns "" where there is no public console (the
// ISO partitions and the European Sovereign Cloud, whose consoles are not
// on the internet or not known here) or when region is not a region name.
func consoleURL(region, imageID string) string {
	if !isRegionName(region) || imageID == "" {
		return ""
	}
	var host string
	switch {
	case strings.HasPrefix(region, "cn-"):
		host = "console.amazonaws.cn"
	case strings.HasPrefix(region, "us-gov-"):
		host = "console.amazonaws-us-gov.com"
	case strings.Contains(region, "-iso"), strings.HasPrefix(region, "eusc-"):
		return ""
	default:
		host = region + ".console.aws.amazon.com"
	}
	id := imageID
	if !isIDLike(id) {
		id = url.QueryEscape(clean(id, maxField, modeText))
	}
	return "https://" + host + "/ec2/home?region=" + region + "#ImageDetails:imageId=" + id
}

// isRegionName reports whether s looks like an AWS region name
// (lowercase letters, digits and hyphens, starting with a letter), so it
// can be put in a host name unescaped.
func isRegionName(s string) bool {
	if s == "" || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// isIDLike reports whether s needs no escaping in a URL: letters, digits
// and hyphens, as in ami-0123456789abcdef0.
func isIDLike(s string) bool {
	if len(s) > maxField {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}
