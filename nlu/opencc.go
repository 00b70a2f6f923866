package nlu

/*
#cgo pkg-config: opencc
#include <stdlib.h>
#include <opencc.h>

static int opencc_is_bad(opencc_t h) { return h == (opencc_t)-1; }
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

// openCC converts traditional to simplified Chinese through libopencc. The C handle is not
// documented as thread-safe, so every call holds the mutex.
type openCC struct {
	mu     sync.Mutex
	handle C.opencc_t
	closed bool
}

func newOpenCC(config string) (*openCC, error) {
	cs := C.CString(config)
	defer C.free(unsafe.Pointer(cs))
	h := C.opencc_open(cs)
	if C.opencc_is_bad(h) != 0 {
		msg := C.GoString(C.opencc_error())
		return nil, fmt.Errorf("%w: opencc_open(%q): %s", ErrConverter, config, msg)
	}
	return &openCC{handle: h}, nil
}

// Convert returns s converted; on a conversion failure it returns s unchanged, since
// understanding half-converted text is better than refusing the customer.
func (o *openCC) Convert(s string) string {
	if s == "" {
		return s
	}
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return s
	}
	out := C.opencc_convert_utf8(o.handle, cs, C.size_t(len(s)))
	if out == nil {
		return s
	}
	defer C.opencc_convert_utf8_free(out)
	return C.GoString(out)
}

func (o *openCC) Close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.closed {
		C.opencc_close(o.handle)
		o.closed = true
	}
}
