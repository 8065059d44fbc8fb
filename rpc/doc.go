// Package rpc is the administration API: the Connect/protobuf schemas
// (proto/), their generated code (gen/, committed; "go generate ./rpc/..."
// regenerates it), the server side (authentication, permissions, handlers
// over store/ and the running server) and the Go client.
package rpc

//go:generate sh -c "cd proto && protoc --go_out=../gen --go_opt=paths=source_relative --connect-go_out=../gen --connect-go_opt=paths=source_relative mailwright/admin/v1/admin.proto"
