//go:build wasip1

// Command cuelang-wasm is the engine as a WebAssembly reactor for node:wasi.
//
// ABI: the host asks for a buffer with alloc, writes a request into it and
// calls an operation; every operation returns (ptr<<32 | len) of a result the
// host reads and then releases with free. Results are JSON, but for validate,
// whose common answer (valid) is the empty result 0, with no allocation.
package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"unsafe"

	"meshstream.dev/cuelang-wasm/engine"
)

func main() {}

var (
	eng = engine.New()
	// Buffers handed to the host, kept reachable so the GC leaves them be
	// (Go's collector does not move objects).
	pinned = map[uint32][]byte{}
)

//go:wasmexport alloc
func alloc(size uint32) uint32 {
	buf := make([]byte, max(size, 1))
	ptr := uint32(uintptr(unsafe.Pointer(&buf[0])))
	pinned[ptr] = buf
	return ptr
}

//go:wasmexport free
func free(ptr uint32) {
	delete(pinned, ptr)
}

func input(ptr, size uint32) []byte {
	return pinned[ptr][:size]
}

func output(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	ptr := alloc(uint32(len(b)))
	copy(pinned[ptr], b)
	return uint64(ptr)<<32 | uint64(len(b))
}

type reply struct {
	OK         any                `json:"ok,omitempty"`
	Violations []engine.Violation `json:"violations,omitempty"`
	Error      *engine.Error      `json:"error,omitempty"`
}

func answer(ok any, violations []engine.Violation, err error) uint64 {
	r := reply{OK: ok, Violations: violations}
	if err != nil {
		e, isEngine := err.(*engine.Error)
		if !isEngine {
			e = &engine.Error{Kind: engine.KindInternal, Message: err.Error()}
		}
		r.Error = e
	}
	b, merr := json.Marshal(r)
	if merr != nil {
		b = []byte(`{"error":{"kind":"internal","message":"cannot encode the reply"}}`)
	}
	return output(b)
}

// guard turns a panic into an internal error: the engine stays usable.
func guard(result *uint64) {
	if p := recover(); p != nil {
		*result = answer(nil, nil, &engine.Error{Kind: engine.KindInternal, Message: fmt.Sprintf("engine panic: %v", p)})
	}
}

func decode(ptr, size uint32, into any) error {
	if err := json.Unmarshal(input(ptr, size), into); err != nil {
		return &engine.Error{Kind: engine.KindInternal, Message: "bad request to the engine: " + err.Error()}
	}
	return nil
}

//go:wasmexport compile
func compile(ptr, size uint32) (result uint64) {
	defer guard(&result)
	var req struct {
		Filename string `json:"filename"`
		Source   string `json:"source"`
	}
	if err := decode(ptr, size, &req); err != nil {
		return answer(nil, nil, err)
	}
	c, err := eng.Compile(req.Filename, []byte(req.Source))
	if err != nil {
		return answer(nil, nil, err)
	}
	return answer(c, nil, nil)
}

// validate reads: handle u32 LE, definition length u32 LE, definition, document.
//
//go:wasmexport validate
func validate(ptr, size uint32) (result uint64) {
	defer guard(&result)
	in := input(ptr, size)
	if len(in) < 8 || int(binary.LittleEndian.Uint32(in[4:8])) > len(in)-8 {
		return answer(nil, nil, &engine.Error{Kind: engine.KindInternal, Message: "bad validate request"})
	}
	handle := binary.LittleEndian.Uint32(in[0:4])
	defEnd := 8 + int(binary.LittleEndian.Uint32(in[4:8]))
	violations, err := eng.Validate(handle, string(in[8:defEnd]), in[defEnd:])
	if err == nil && violations == nil {
		return 0
	}
	return answer(nil, violations, err)
}

//go:wasmexport openapi
func openapi(ptr, size uint32) (result uint64) {
	defer guard(&result)
	var req struct {
		Handle uint32 `json:"handle"`
	}
	if err := decode(ptr, size, &req); err != nil {
		return answer(nil, nil, err)
	}
	b, err := eng.OpenAPI(req.Handle)
	if err != nil {
		return answer(nil, nil, err)
	}
	return answer(json.RawMessage(b), nil, nil)
}

//go:wasmexport export
func export(ptr, size uint32) (result uint64) {
	defer guard(&result)
	var req struct {
		Handle uint32 `json:"handle"`
	}
	if err := decode(ptr, size, &req); err != nil {
		return answer(nil, nil, err)
	}
	b, err := eng.Export(req.Handle)
	if err != nil {
		return answer(nil, nil, err)
	}
	return answer(json.RawMessage(b), nil, nil)
}

//go:wasmexport jsonschema
func jsonschema(ptr, size uint32) (result uint64) {
	defer guard(&result)
	var req engine.Ref
	if err := decode(ptr, size, &req); err != nil {
		return answer(nil, nil, err)
	}
	b, err := eng.JSONSchema(req.Handle, req.Definition)
	if err != nil {
		return answer(nil, nil, err)
	}
	return answer(json.RawMessage(b), nil, nil)
}

//go:wasmexport validator
func validator(ptr, size uint32) (result uint64) {
	defer guard(&result)
	var req engine.Ref
	if err := decode(ptr, size, &req); err != nil {
		return answer(nil, nil, err)
	}
	p, err := eng.Validator(req.Handle, req.Definition)
	if err != nil {
		return answer(nil, nil, err)
	}
	return answer(p, nil, nil)
}

//go:wasmexport subsumes
func subsumes(ptr, size uint32) (result uint64) {
	defer guard(&result)
	var req struct {
		General  engine.Ref `json:"general"`
		Specific engine.Ref `json:"specific"`
	}
	if err := decode(ptr, size, &req); err != nil {
		return answer(nil, nil, err)
	}
	violations, err := eng.Subsumes(req.General, req.Specific)
	return answer(violations == nil && err == nil, violations, err)
}

//go:wasmexport release
func release(handle uint32) {
	eng.Free(handle)
}

//go:wasmexport configure
func configure(recycleAfter, maxDepth uint32) {
	eng.RecycleAfter, eng.MaxDepth = int(recycleAfter), int(maxDepth)
}
