package smtpclient

import (
	"fmt"
	"io"
	"strconv"

	"github.com/mailwright/mailwright/server/smtpreply"
)

// transaction sends the message: MAIL, RCPT for each recipient, DATA, the
// message and the final ".". It first decides what the server's extensions
// allow, so nothing is sent that must fail.
func (d *delivery) transaction() *Error {
	if failure := d.checkMessage(); failure != nil {
		d.quit()
		return failure
	}
	sendTo := d.sendableRecipients()
	if len(sendTo) == 0 {
		d.quit()
		return nil
	}
	mail := d.mailCommand(sendTo)
	var send bool
	var failure *Error
	if d.caps.has("PIPELINING") {
		send, failure = d.pipelinedEnvelope(mail, sendTo)
	} else {
		send, failure = d.lockStepEnvelope(mail, sendTo)
	}
	if failure != nil || !send {
		return failure
	}
	return d.data(sendTo)
}

// checkMessage refuses, before MAIL, a message the server has said it
// cannot take.
func (d *delivery) checkMessage() *Error {
	if limit := d.caps.sizeLimit(); limit > 0 && d.msg.size > limit {
		// RFC 1870 6.1: the client should not send a message over the limit.
		return localError(StageSize, ErrMessageTooLarge, &smtpreply.Reply{Code: 552, Enhanced: "5.3.4",
			Text: fmt.Sprintf("Message size exceeds the receiving server's fixed maximum message size. Size: %d bytes, Max size: %d bytes", d.msg.size, limit)})
	}
	if d.msg.eightBit && !d.caps.has("8BITMIME") {
		// RFC 6152 3: without 8BITMIME the message would have to be
		// converted to 7 bits, which Mailwright does not do.
		return localError(StageMail, ErrNeeds8BitMIME, &smtpreply.Reply{Code: 554, Enhanced: "5.6.3", Text: ErrNeeds8BitMIME.Error()})
	}
	if !isASCII(d.from) && !d.caps.has("SMTPUTF8") {
		return localError(StageMail, ErrNeedsSMTPUTF8, &smtpreply.Reply{Code: 553, Enhanced: "5.6.7",
			Text: "The sender address is not ASCII and the receiving server does not offer SMTPUTF8."})
	}
	return nil
}

// sendableRecipients returns the indexes of the recipients that can be
// given to the server, and gives the others the reply that refuses them.
func (d *delivery) sendableRecipients() []int {
	var sendTo []int
	for i := range d.res.Recipients {
		rr := &d.res.Recipients[i]
		switch {
		case hasControl(rr.Address):
			rr.Reply = &smtpreply.Reply{Code: 553, Enhanced: "5.1.3", Text: "The recipient address contains control characters."}
		case !isASCII(rr.Address) && !d.caps.has("SMTPUTF8"):
			// RFC 6531 3.2: not sent to a server without SMTPUTF8.
			rr.Reply = &smtpreply.Reply{Code: 553, Enhanced: "5.6.7", Text: "The recipient address is not ASCII and the receiving server does not offer SMTPUTF8."}
		default:
			sendTo = append(sendTo, i)
		}
	}
	return sendTo
}

// mailCommand is MAIL FROM with the parameters that apply: SIZE (RFC 1870
// 6), BODY=8BITMIME for a message with 8-bit data (RFC 6152 3), SMTPUTF8
// when an address needs it (RFC 6531 3.4).
func (d *delivery) mailCommand(sendTo []int) string {
	mail := "MAIL FROM:<" + d.from + ">"
	if d.caps.has("SIZE") {
		mail += " SIZE=" + strconv.FormatInt(d.msg.size, 10)
	}
	if d.msg.eightBit {
		mail += " BODY=8BITMIME"
	}
	needUTF8 := !isASCII(d.from)
	for _, i := range sendTo {
		needUTF8 = needUTF8 || !isASCII(d.res.Recipients[i].Address)
	}
	if needUTF8 {
		mail += " SMTPUTF8"
	}
	return mail
}

func (d *delivery) rcptCommand(i int) string {
	return "RCPT TO:<" + d.res.Recipients[i].Address + ">"
}

// readRcpt reads the reply to recipient i's RCPT and keeps it.
func (d *delivery) readRcpt(i int) (accepted bool, failure *Error) {
	reply, failure := d.read(StageRcpt, d.opts.Timeouts.Rcpt)
	if failure != nil {
		return false, failure
	}
	d.res.Recipients[i].Reply = reply
	if reply.Code == 421 {
		// RFC 5321 3.8: the server is closing the connection.
		return false, replyError(StageRcpt, reply)
	}
	return reply.Code/100 == 2, nil
}

// pipelinedEnvelope sends MAIL, the RCPTs and DATA as one group and reads
// the replies in order (RFC 2920 3.1). It reports whether the message is to
// follow.
func (d *delivery) pipelinedEnvelope(mail string, sendTo []int) (bool, *Error) {
	t := d.opts.Timeouts
	d.write(mail, "")
	for _, i := range sendTo {
		d.write(d.rcptCommand(i), "")
	}
	d.write("DATA", "")
	if failure := d.flush(StageMail, t.Mail); failure != nil {
		return false, failure
	}
	mailReply, failure := d.read(StageMail, t.Mail)
	if failure != nil {
		return false, failure
	}
	if mailReply.Code/100 != 2 {
		d.drainGroup(len(sendTo))
		return false, unexpected(StageMail, mailReply)
	}
	accepted := 0
	for _, i := range sendTo {
		ok, failure := d.readRcpt(i)
		if failure != nil {
			return false, failure
		}
		if ok {
			accepted++
		}
	}
	dataReply, failure := d.read(StageData, t.DataInit)
	if failure != nil {
		return false, failure
	}
	if accepted == 0 {
		d.endEmptyData(dataReply)
		d.quit()
		return false, nil
	}
	if dataReply.Code != 354 {
		d.quit()
		return false, unexpected(StageData, dataReply)
	}
	return true, nil
}

// drainGroup reads the replies to the rest of a pipelined group after MAIL
// failed — they answer a transaction that never began — and says QUIT when
// the conversation is still in step.
func (d *delivery) drainGroup(rcpts int) {
	t := d.opts.Timeouts
	for range rcpts {
		if _, failure := d.read(StageRcpt, t.Rcpt); failure != nil {
			return
		}
	}
	dataReply, failure := d.read(StageData, t.DataInit)
	if failure != nil {
		return
	}
	d.endEmptyData(dataReply)
	d.quit()
}

// endEmptyData answers a 354 to a pipelined DATA that no recipient
// allows: RFC 2920 3.1 has the client send the final "." alone, and the
// server must not deliver the empty message.
func (d *delivery) endEmptyData(dataReply *smtpreply.Reply) {
	if dataReply.Code != 354 {
		return
	}
	t := d.opts.Timeouts
	d.write(".", "")
	if d.flush(StageData, t.DataBlock) == nil {
		d.read(StageData, t.DataEnd)
	}
}

// lockStepEnvelope sends MAIL, each RCPT and DATA, each after the reply to
// the one before. It reports whether the message is to follow; DATA is not
// sent when no recipient was accepted.
func (d *delivery) lockStepEnvelope(mail string, sendTo []int) (bool, *Error) {
	t := d.opts.Timeouts
	mailReply, failure := d.command(StageMail, t.Mail, mail, "")
	if failure != nil {
		return false, failure
	}
	if mailReply.Code/100 != 2 {
		d.quit()
		return false, unexpected(StageMail, mailReply)
	}
	accepted := 0
	for _, i := range sendTo {
		d.write(d.rcptCommand(i), "")
		if failure := d.flush(StageRcpt, t.Rcpt); failure != nil {
			return false, failure
		}
		ok, failure := d.readRcpt(i)
		if failure != nil {
			return false, failure
		}
		if ok {
			accepted++
		}
	}
	if accepted == 0 {
		d.quit()
		return false, nil
	}
	dataReply, failure := d.command(StageData, t.DataInit, "DATA", "")
	if failure != nil {
		return false, failure
	}
	if dataReply.Code != 354 {
		d.quit()
		return false, unexpected(StageData, dataReply)
	}
	return true, nil
}

// data sends the message after a 354 and gives the reply to its end to
// every recipient the server accepted.
func (d *delivery) data(sendTo []int) *Error {
	if failure := d.sendMessage(); failure != nil {
		return failure
	}
	endReply, failure := d.read(StageEndOfData, d.opts.Timeouts.DataEnd)
	if failure != nil {
		return failure
	}
	for _, i := range sendTo {
		if rr := &d.res.Recipients[i]; rr.Reply.Code/100 == 2 {
			rr.Reply = endReply
			rr.Accepted = endReply.Code/100 == 2
		}
	}
	if endReply.Code/100 != 2 {
		d.quit()
		return unexpected(StageEndOfData, endReply)
	}
	if !d.keepOpen {
		d.quit()
	}
	return nil
}

// sendMessage writes the message and the final ".". When the message
// cannot be read, the connection is dropped without the "." so the server
// discards what it got.
func (d *delivery) sendMessage() *Error {
	d.writeTimeout = d.opts.Timeouts.DataBlock
	body := &errorReader{r: d.msg.body}
	data := newDataWriter(d.w)
	_, err := io.Copy(data, body)
	if err == nil {
		err = data.Close()
	}
	if err == nil {
		err = d.w.Flush()
	}
	d.res.Transcript = append(d.res.Transcript, fmt.Sprintf("C: <message, %d bytes>", data.size), "C: .")
	switch {
	case body.err != nil:
		return &Error{Temporary: true, Stage: StageMessage, Err: fmt.Errorf("reading the message: %w", body.err)}
	case err != nil:
		return d.networkError(StageMessage, err)
	}
	return nil
}

// errorReader remembers its reader's error, to tell it from the
// connection's.
type errorReader struct {
	r   io.Reader
	err error
}

func (e *errorReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}
