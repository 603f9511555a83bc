package transactions

import (
	"io"
	"sync"
	"sync/atomic"
)

// chunkWriter writes chunks of output to w from its own goroutine, so that
// generating the next chunk overlaps the write of the last one. Chunks are
// written in the order they are sent.
type chunkWriter struct {
	w      io.Writer
	full   chan []byte
	free   chan []byte
	done   chan struct{}
	err    error // set by the writing goroutine; read after done
	failed atomic.Bool
	once   sync.Once
}

// chunkBuffers is how many chunks exist: one being filled, one being
// written, one waiting.
const chunkBuffers = 3

func newChunkWriter(w io.Writer, size int) *chunkWriter {
	c := &chunkWriter{w: w, full: make(chan []byte, chunkBuffers), free: make(chan []byte, chunkBuffers), done: make(chan struct{})}
	for range chunkBuffers {
		c.free <- make([]byte, 0, size)
	}
	go c.loop()
	return c
}

func (c *chunkWriter) loop() {
	defer close(c.done)
	for b := range c.full {
		if c.err == nil {
			if _, c.err = c.w.Write(b); c.err != nil {
				c.failed.Store(true)
			}
		}
		c.free <- b[:0]
	}
}

// buffer returns an empty chunk to fill.
func (c *chunkWriter) buffer() []byte { return <-c.free }

// send queues a filled chunk for writing; the caller MUST NOT touch it
// afterwards.
func (c *chunkWriter) send(b []byte) { c.full <- b }

// close waits until every chunk sent is written and returns the first write
// error. It may be called more than once.
func (c *chunkWriter) close() error {
	c.once.Do(func() {
		close(c.full)
		<-c.done
	})
	return c.err
}
