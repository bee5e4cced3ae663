package route53api

import "encoding/xml"

// The response shapes of the botocore route53 model (2013-04-01), member
// order as in the model. Every response root carries the Route 53 XML
// namespace.

// xmlns is the namespace of every Route 53 document.
const xmlns = "https://route53.amazonaws.com/doc/2013-04-01/"

type hostedZoneXML struct {
	Id                     string
	Name                   string
	CallerReference        string
	Config                 zoneConfigXML
	ResourceRecordSetCount int64
	LinkedService          *linkedServiceXML `xml:",omitempty"`
}

type zoneConfigXML struct {
	Comment     string `xml:",omitempty"`
	PrivateZone bool
}

type linkedServiceXML struct {
	ServicePrincipal string
	Description      string
}

type delegationSetXML struct {
	NameServers []string `xml:"NameServers>NameServer"`
}

type vpcXML struct {
	VPCRegion string
	VPCId     string
}

type getHostedZoneResponse struct {
	XMLName       xml.Name `xml:"https://route53.amazonaws.com/doc/2013-04-01/ GetHostedZoneResponse"`
	HostedZone    hostedZoneXML
	DelegationSet *delegationSetXML `xml:",omitempty"`
	VPCs          *vpcsXML          `xml:",omitempty"`
}

// vpcsXML wraps the VPC list: encoding/xml writes an empty parent for an
// empty "VPCs>VPC" slice, and a public zone has no VPCs element at all.
type vpcsXML struct {
	VPC []vpcXML
}

type getHostedZoneCountResponse struct {
	XMLName         xml.Name `xml:"https://route53.amazonaws.com/doc/2013-04-01/ GetHostedZoneCountResponse"`
	HostedZoneCount int64
}

type listHostedZonesResponse struct {
	XMLName     xml.Name        `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ListHostedZonesResponse"`
	HostedZones []hostedZoneXML `xml:"HostedZones>HostedZone"`
	Marker      string
	IsTruncated bool
	NextMarker  string `xml:",omitempty"`
	MaxItems    string
}

type listHostedZonesByNameResponse struct {
	XMLName          xml.Name        `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ListHostedZonesByNameResponse"`
	HostedZones      []hostedZoneXML `xml:"HostedZones>HostedZone"`
	DNSName          string          `xml:",omitempty"`
	HostedZoneId     string          `xml:",omitempty"`
	IsTruncated      bool
	NextDNSName      string `xml:",omitempty"`
	NextHostedZoneId string `xml:",omitempty"`
	MaxItems         string
}

type resourceRecordSetXML struct {
	Name             string
	Type             string
	SetIdentifier    string `xml:",omitempty"`
	Weight           *int64 `xml:",omitempty"`
	MultiValueAnswer *bool  `xml:",omitempty"`
	TTL              int64
	ResourceRecords  []resourceRecordXML `xml:"ResourceRecords>ResourceRecord"`
}

type resourceRecordXML struct {
	Value string
}

type listResourceRecordSetsResponse struct {
	XMLName              xml.Name               `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ListResourceRecordSetsResponse"`
	ResourceRecordSets   []resourceRecordSetXML `xml:"ResourceRecordSets>ResourceRecordSet"`
	IsTruncated          bool
	NextRecordName       string `xml:",omitempty"`
	NextRecordType       string `xml:",omitempty"`
	NextRecordIdentifier string `xml:",omitempty"`
	MaxItems             string
}

type errorResponse struct {
	XMLName   xml.Name `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ErrorResponse"`
	Error     errorXML
	RequestId string
}

type errorXML struct {
	Type    string
	Code    string
	Message string
}
