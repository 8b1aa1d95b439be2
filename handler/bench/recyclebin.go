package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"
)

// recycleBin stands between the function and moto for EC2 calls and
// answers ListImagesInRecycleBin, which moto does not implement: moto
// answers HTTP 500, the function retries with backoff, and every
// deregistered event would spend seconds there, which real EC2 never makes
// it do. Every other request goes to moto unchanged.
type recycleBin struct {
	URL    string
	images map[string]string // image id -> name of the images "in the bin"
	srv    *http.Server
	done   chan struct{}
}

// startRecycleBin listens on a free loopback port and forwards to motoURL.
// images are the ids it reports as restorable.
func startRecycleBin(motoURL string, images map[string]string) (*recycleBin, error) {
	target, err := url.Parse(motoURL)
	if err != nil {
		return nil, fmt.Errorf("moto URL: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("recycle bin listener: %w", err)
	}
	rb := &recycleBin{URL: "http://" + l.Addr().String(), images: images, done: make(chan struct{})}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target) }}
	rb.srv = &http.Server{
		Handler:           rb.handler(proxy),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		defer close(rb.done)
		_ = rb.srv.Serve(l) // ends with ErrServerClosed on Stop
	}()
	return rb, nil
}

// Stop closes the listener and waits for the server to end.
func (rb *recycleBin) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := rb.srv.Shutdown(ctx)
	<-rb.done
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("stop recycle bin: %w", err)
	}
	return nil
}

func (rb *recycleBin) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read request", http.StatusBadRequest)
			return
		}
		form, _ := url.ParseQuery(string(body))
		if r.Method != http.MethodPost || form.Get("Action") != "ListImagesInRecycleBin" {
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
			next.ServeHTTP(w, r)
			return
		}
		var ids []string
		for k, v := range form {
			if strings.HasPrefix(k, "ImageId.") && len(v) > 0 {
				ids = append(ids, v[0])
			}
		}
		reply, err := rb.reply(ids, time.Now().UTC())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		_, _ = w.Write(reply)
	})
}

// recycleBinReply is EC2's ListImagesInRecycleBin response document.
type recycleBinReply struct {
	XMLName   xml.Name         `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ ListImagesInRecycleBinResponse"`
	RequestID string           `xml:"requestId"`
	Images    []recycleBinItem `xml:"imageSet>item"`
}

type recycleBinItem struct {
	ImageID   string `xml:"imageId"`
	Name      string `xml:"name"`
	EnterTime string `xml:"recycleBinEnterTime"`
	ExitTime  string `xml:"recycleBinExitTime"`
}

// reply lists those of ids that are in the bin: deleted an hour ago and
// restorable for the seven days a typical retention rule keeps them.
func (rb *recycleBin) reply(ids []string, now time.Time) ([]byte, error) {
	doc := recycleBinReply{RequestID: "00000000-0000-4000-8000-000000000000"}
	for _, id := range ids {
		name, ok := rb.images[id]
		if !ok {
			continue
		}
		doc.Images = append(doc.Images, recycleBinItem{
			ImageID:   id,
			Name:      name,
			EnterTime: now.Add(-time.Hour).Format("2006-01-02T15:04:05.000Z"),
			ExitTime:  now.Add(7 * 24 * time.Hour).Format("2006-01-02T15:04:05.000Z"),
		})
	}
	b, err := xml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode recycle bin reply: %w", err)
	}
	return append([]byte(xml.Header), b...), nil
}
