// Package rpc will hold the administration API: the Connect/protobuf
// schemas, their generated code, the server side (authentication,
// permissions, handlers over store/ and the running server) and the Go
// client. It is empty until the administration RPC is built.
package rpc
