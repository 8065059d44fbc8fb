package rpc

import (
	"fmt"
	"strings"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
)

// Conversions between the API's messages and the store's objects for
// domains, accounts, aliases, distribution lists, groups and folders, and
// the size limits their strings are checked against before the store sees
// them.

// The longest strings the API accepts: names and addresses (RFC 5321
// 4.5.3.1.3 allows 256 octets for a path, so no real address is refused)
// and free texts such as an auto-reply or a signature.
const (
	maxNameBytes = 255
	maxTextBytes = 64 << 10
)

// sizedField is one string of a request with the most it may hold.
type sizedField struct {
	field string
	value string
	max   int
}

// nameField and textField describe a request string to checkFieldSizes.
func nameField(field, value string) sizedField { return sizedField{field, value, maxNameBytes} }
func textField(field, value string) sizedField { return sizedField{field, value, maxTextBytes} }

// checkFieldSizes refuses the first oversized string with INVALID_ARGUMENT
// naming its field, before anything reaches the store.
func checkFieldSizes(fields ...sizedField) error {
	for _, f := range fields {
		if len(f.value) > f.max {
			return toConnect(&store.ValidationError{Field: f.field,
				Message: fmt.Sprintf("is %d bytes long; at most %d are allowed", len(f.value), f.max)})
		}
	}
	return nil
}

// domainPart is the domain of an address after SplitAddress accepted it.
func domainPart(address string) string {
	return address[strings.LastIndexByte(address, '@')+1:]
}

func domainToProto(d store.Domain) *adminv1.Domain {
	return &adminv1.Domain{
		Id:                 d.ID,
		Name:               d.Name,
		Active:             d.Active,
		CatchAllAddress:    d.CatchAllAddress,
		PlusAddressing:     d.PlusAddressing,
		PlusAddressingChar: d.PlusAddressingChar,
		MaxSizeMb:          int32(d.MaxSizeMB),
		MaxMessageSizeKb:   int32(d.MaxMessageSizeKB),
		MaxAccountSizeMb:   int32(d.MaxAccountSizeMB),
		MaxAccounts:        int32(d.MaxAccounts),
		MaxAliases:         int32(d.MaxAliases),
		MaxLists:           int32(d.MaxLists),
		CreatedAt:          d.CreatedAt,
	}
}

// domainFromProto takes what a client may set; id and creation time are
// the store's.
func domainFromProto(d *adminv1.Domain) store.Domain {
	return store.Domain{
		ID:                 d.GetId(),
		Name:               d.GetName(),
		Active:             d.GetActive(),
		CatchAllAddress:    d.GetCatchAllAddress(),
		PlusAddressing:     d.GetPlusAddressing(),
		PlusAddressingChar: d.GetPlusAddressingChar(),
		MaxSizeMB:          int(d.GetMaxSizeMb()),
		MaxMessageSizeKB:   int(d.GetMaxMessageSizeKb()),
		MaxAccountSizeMB:   int(d.GetMaxAccountSizeMb()),
		MaxAccounts:        int(d.GetMaxAccounts()),
		MaxAliases:         int(d.GetMaxAliases()),
		MaxLists:           int(d.GetMaxLists()),
	}
}

func domainSizes(d *adminv1.Domain) []sizedField {
	return []sizedField{
		nameField("name", d.GetName()),
		nameField("catch_all_address", d.GetCatchAllAddress()),
		nameField("plus_addressing_char", d.GetPlusAddressingChar()),
	}
}

func domainAliasToProto(a store.DomainAlias) *adminv1.DomainAlias {
	return &adminv1.DomainAlias{Id: a.ID, DomainId: a.DomainID, Name: a.Name}
}

// accountToProto leaves size_bytes to the caller, which knows whether it
// was asked for.
func accountToProto(a store.Account) *adminv1.Account {
	return &adminv1.Account{
		Id:                  a.ID,
		DomainId:            a.DomainID,
		Address:             a.Address,
		Active:              a.Active,
		AdminLevel:          adminv1.AdminLevel(a.AdminLevel),
		MaxSizeMb:           int32(a.MaxSizeMB),
		FirstName:           a.FirstName,
		LastName:            a.LastName,
		LastLogonAt:         a.LastLogonAt,
		LastLogonIp:         a.LastLogonIP,
		CreatedAt:           a.CreatedAt,
		VacationEnabled:     a.Vacation.Enabled,
		VacationSubject:     a.Vacation.Subject,
		VacationMessage:     a.Vacation.Message,
		VacationExpires:     a.Vacation.Expires,
		VacationExpiresAt:   a.Vacation.ExpiresAt,
		ForwardEnabled:      a.Forward.Enabled,
		ForwardAddress:      a.Forward.Address,
		ForwardKeepOriginal: a.Forward.KeepOriginal,
		SignatureEnabled:    a.Signature.Enabled,
		SignaturePlain:      a.Signature.Plain,
		SignatureHtml:       a.Signature.HTML,
	}
}

// accountFromProto takes what a client may set; the last logon, creation
// time and size are the server's.
func accountFromProto(a *adminv1.Account) store.Account {
	return store.Account{
		ID:         a.GetId(),
		DomainID:   a.GetDomainId(),
		Address:    a.GetAddress(),
		Active:     a.GetActive(),
		AdminLevel: store.AdminLevel(a.GetAdminLevel()),
		MaxSizeMB:  int(a.GetMaxSizeMb()),
		FirstName:  a.GetFirstName(),
		LastName:   a.GetLastName(),
		Vacation:   accountVacation(a),
		Forward:    accountForward(a),
		Signature:  accountSignature(a),
	}
}

func accountVacation(a *adminv1.Account) store.Vacation {
	return store.Vacation{
		Enabled:   a.GetVacationEnabled(),
		Subject:   a.GetVacationSubject(),
		Message:   a.GetVacationMessage(),
		Expires:   a.GetVacationExpires(),
		ExpiresAt: a.GetVacationExpiresAt(),
	}
}

func accountForward(a *adminv1.Account) store.Forward {
	return store.Forward{
		Enabled:      a.GetForwardEnabled(),
		Address:      a.GetForwardAddress(),
		KeepOriginal: a.GetForwardKeepOriginal(),
	}
}

func accountSignature(a *adminv1.Account) store.Signature {
	return store.Signature{
		Enabled: a.GetSignatureEnabled(),
		Plain:   a.GetSignaturePlain(),
		HTML:    a.GetSignatureHtml(),
	}
}

func accountSizes(a *adminv1.Account) []sizedField {
	return []sizedField{
		nameField("address", a.GetAddress()),
		nameField("first_name", a.GetFirstName()),
		nameField("last_name", a.GetLastName()),
		nameField("vacation_subject", a.GetVacationSubject()),
		textField("vacation_message", a.GetVacationMessage()),
		nameField("forward_address", a.GetForwardAddress()),
		textField("signature_plain", a.GetSignaturePlain()),
		textField("signature_html", a.GetSignatureHtml()),
	}
}

func aliasToProto(a store.Alias) *adminv1.Alias {
	return &adminv1.Alias{Id: a.ID, DomainId: a.DomainID, Address: a.Address, Target: a.Target, Active: a.Active}
}

func aliasFromProto(a *adminv1.Alias) store.Alias {
	return store.Alias{ID: a.GetId(), DomainID: a.GetDomainId(), Address: a.GetAddress(), Target: a.GetTarget(), Active: a.GetActive()}
}

func listToProto(l store.List) *adminv1.DistributionList {
	return &adminv1.DistributionList{
		Id:               l.ID,
		DomainId:         l.DomainID,
		Address:          l.Address,
		Active:           l.Active,
		RequireSmtpAuth:  l.RequireSMTPAuth,
		Mode:             adminv1.ListMode(l.Mode),
		AnnouncerAddress: l.AnnouncerAddress,
	}
}

func listFromProto(l *adminv1.DistributionList) store.List {
	return store.List{
		ID:               l.GetId(),
		DomainID:         l.GetDomainId(),
		Address:          l.GetAddress(),
		Active:           l.GetActive(),
		RequireSMTPAuth:  l.GetRequireSmtpAuth(),
		Mode:             store.ListMode(l.GetMode()),
		AnnouncerAddress: l.GetAnnouncerAddress(),
	}
}

func listSizes(l *adminv1.DistributionList) []sizedField {
	return []sizedField{nameField("address", l.GetAddress()), nameField("announcer_address", l.GetAnnouncerAddress())}
}

func groupToProto(g store.Group) *adminv1.Group {
	return &adminv1.Group{Id: g.ID, Name: g.Name}
}

func folderToProto(f store.Folder, messages int) *adminv1.Folder {
	return &adminv1.Folder{
		Id:          f.ID,
		ParentId:    f.ParentID,
		Name:        f.Name,
		Subscribed:  f.Subscribed,
		UidValidity: f.UIDValidity,
		UidNext:     f.UIDNext,
		Messages:    int32(messages),
	}
}
