package awsapi_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/awsapi"
)

var created = time.Date(2020, 4, 16, 23, 56, 8, 334_000_000, time.UTC) // 1587081368.334

// outputs answers each operation with a fixed output.
func outputs(m map[string]any) func(context.Context, string, any) (any, error) {
	return func(_ context.Context, op string, _ any) (any, error) { return m[op], nil }
}

func TestHandler_OutputsThroughSDK(t *testing.T) {
	ns := &cloudmap.Namespace{Id: "ns-1", Arn: "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-1",
		Name: "example.local", Type: cloudmap.NamespaceDNSPrivate, ServiceCount: 0, CreateDate: created,
		Properties: cloudmap.NamespaceProperties{DnsProperties: &cloudmap.DnsProperties{HostedZoneId: "Z1",
			SOA: cloudmap.NewSOA(15)}, HttpProperties: &cloudmap.HttpProperties{HttpName: "example.local"}},
		Vpc: "vpc-secret"}
	op := &cloudmap.Operation{Id: "op-1", Type: cloudmap.OpCreateNamespace, Status: cloudmap.OpSuccess,
		CreateDate: created, UpdateDate: created.Add(1500 * time.Millisecond), Targets: map[string]string{"NAMESPACE": "ns-1"}}
	url := start(t, outputs(map[string]any{
		"GetNamespace": &cloudmap.GetNamespaceOutput{Namespace: ns},
		"GetOperation": &cloudmap.GetOperationOutput{Operation: op},
		"DiscoverInstances": &cloudmap.DiscoverInstancesOutput{InstancesRevision: 7, Instances: []cloudmap.HttpInstanceSummary{
			{InstanceId: "i-1", NamespaceName: "example.local", ServiceName: "web", HealthStatus: cloudmap.Healthy,
				Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1", "quote": `a"b\c` + "\n\u2028"}}}},
		"ListTagsForResource": &cloudmap.ListTagsForResourceOutput{Tags: []cloudmap.Tag{{Key: "k", Value: ""}}},
	}), awsapi.Config{})
	c := client(url)
	ctx := context.Background()

	gn, err := c.GetNamespace(ctx, &sd.GetNamespaceInput{Id: aws.String("ns-1")})
	if err != nil {
		t.Fatal(err)
	}
	n := gn.Namespace
	if got := aws.ToTime(n.CreateDate); !got.Equal(created) {
		t.Errorf("CreateDate: got %v, want %v", got, created)
	}
	if n.Description != nil || n.CreatorRequestId != nil || n.ResourceOwner != nil {
		t.Errorf("empty members sent: Description %v CreatorRequestId %v ResourceOwner %v",
			n.Description, n.CreatorRequestId, n.ResourceOwner)
	}
	if aws.ToInt32(n.ServiceCount) != 0 || n.ServiceCount == nil {
		t.Errorf("ServiceCount: got %v, want 0 sent", n.ServiceCount)
	}
	if got := aws.ToInt64(n.Properties.DnsProperties.SOA.TTL); got != 15 || n.Type != types.NamespaceTypeDnsPrivate {
		t.Errorf("SOA TTL %d, type %s", got, n.Type)
	}

	gop, err := c.GetOperation(ctx, &sd.GetOperationInput{OperationId: aws.String("op-1")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToTime(gop.Operation.UpdateDate), created.Add(1500*time.Millisecond); !got.Equal(want) {
		t.Errorf("UpdateDate: got %v, want %v", got, want)
	}
	if got := gop.Operation.Targets["NAMESPACE"]; got != "ns-1" {
		t.Errorf("Targets: got %v", gop.Operation.Targets)
	}

	di, err := c.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("example.local"),
		ServiceName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	if len(di.Instances) != 1 || aws.ToInt64(di.InstancesRevision) != 7 {
		t.Fatalf("got %+v", di)
	}
	if got, want := di.Instances[0].Attributes["quote"], `a"b\c`+"\n\u2028"; got != want {
		t.Errorf("escaped attribute: got %q, want %q", got, want)
	}

	tags, err := c.ListTagsForResource(ctx, &sd.ListTagsForResourceInput{ResourceARN: aws.String("arn:x")})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Tags) != 1 || tags.Tags[0].Value == nil {
		t.Errorf("empty tag value must be kept: %+v", tags.Tags)
	}

	if _, err := c.UpdateInstanceCustomHealthStatus(ctx, &sd.UpdateInstanceCustomHealthStatusInput{
		ServiceId: aws.String("srv-1"), InstanceId: aws.String("i-1"), Status: types.CustomHealthStatusUnhealthy}); err != nil {
		t.Errorf("UpdateInstanceCustomHealthStatus: %v", err)
	}
	if _, err := c.DeleteService(ctx, &sd.DeleteServiceInput{Id: aws.String("srv-1")}); err != nil {
		t.Errorf("DeleteService: %v", err)
	}
}

func TestHandler_RawOutputs(t *testing.T) {
	ns := &cloudmap.Namespace{Id: "ns-1", Name: "n", Type: cloudmap.NamespaceHTTP, Vpc: "vpc-secret", CreateDate: created}
	svc := &cloudmap.Service{Id: "srv-1", Name: "web", HealthCheckCustomConfig: &cloudmap.HealthCheckCustomConfig{FailureThreshold: 1}}
	url := start(t, outputs(map[string]any{
		"GetNamespace":   &cloudmap.GetNamespaceOutput{Namespace: ns},
		"GetService":     &cloudmap.ServiceOutput{Service: svc},
		"ListNamespaces": &cloudmap.ListNamespacesOutput{},
	}), awsapi.Config{})
	tests := []struct {
		op, body string
		want     string
	}{
		{"GetNamespace", `{"Id":"ns-1"}`, `{"Namespace":{"Id":"ns-1","Name":"n","Type":"HTTP","ServiceCount":0,"Properties":{},"CreateDate":1587081368.334}}`},
		{"GetService", `{"Id":"srv-1"}`, `{"Service":{"Id":"srv-1","Name":"web","InstanceCount":0,"HealthCheckCustomConfig":{"FailureThreshold":1}}}`},
		{"ListNamespaces", `{}`, `{}`},
		{"DeleteService", `{"Id":"srv-1"}`, `{}`},
		{"UpdateInstanceCustomHealthStatus", `{"ServiceId":"s","InstanceId":"i","Status":"HEALTHY"}`, ``},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			r := post(t, url, targetPrefix+tt.op, tt.body)
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if got := string(r.body); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if strings.Contains(string(r.body), "null") || strings.Contains(string(r.body), "vpc-secret") {
				t.Errorf("body has null or an unsent field: %s", r.body)
			}
		})
	}
}

// TestHandler_DecodedInputs checks what the API receives.
func TestHandler_DecodedInputs(t *testing.T) {
	var got any
	url := start(t, func(_ context.Context, _ string, in any) (any, error) { got = in; return nil, nil }, awsapi.Config{})
	desc := ""
	tests := []struct {
		op, body string
		want     any
	}{
		{"CreateService", `{"Name":"web","NamespaceId":"ns-1","CreatorRequestId":"c","Description":"d",
			"DnsConfig":{"RoutingPolicy":"WEIGHTED","DnsRecords":[{"Type":"A","TTL":60},{"Type":"SRV","TTL":0}]},
			"HealthCheckConfig":{"Type":"HTTP","ResourcePath":"/h","FailureThreshold":3},
			"Tags":[{"Key":"k","Value":"v"}],"Type":"HTTP"}`,
			&cloudmap.CreateServiceInput{Name: "web", NamespaceId: "ns-1", CreatorRequestId: "c", Description: "d",
				DnsConfig: &cloudmap.DnsConfig{RoutingPolicy: cloudmap.RoutingWeighted, DnsRecords: []cloudmap.DnsRecord{
					{Type: cloudmap.RecordA, TTL: 60}, {Type: cloudmap.RecordSRV}}},
				HealthCheckConfig: &cloudmap.HealthCheckConfig{Type: cloudmap.HealthCheckHTTP, ResourcePath: "/h", FailureThreshold: 3},
				Tags:              []cloudmap.Tag{{Key: "k", Value: "v"}}, Type: "HTTP"}},
		{"RegisterInstance", `{"ServiceId":"srv-1","InstanceId":"i-1","Attributes":{"AWS_INSTANCE_IPV4":"10.0.0.1","k":"a b\tc\/"}}`,
			&cloudmap.RegisterInstanceInput{ServiceId: "srv-1", InstanceId: "i-1",
				Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1", "k": "a b\tc/"}}},
		{"UpdateHttpNamespace", `{"Id":"ns-1","Namespace":{"Description":""}}`,
			&cloudmap.UpdateHttpNamespaceInput{Id: "ns-1", Namespace: &cloudmap.NamespaceChange{Description: &desc}}},
		{"CreateHttpNamespace", `{"Name":"n","Description":"caf\u00e9 \ud83d\ude00 \ud800 é"}`,
			&cloudmap.CreateHttpNamespaceInput{Name: "n", Description: "café 😀 \ufffd é"}},
		{"UpdatePrivateDnsNamespace", `{"Id":"ns-1","Namespace":{"Properties":{"DnsProperties":{"SOA":{"TTL":30}}}}}`,
			&cloudmap.UpdateDnsNamespaceInput{Id: "ns-1", Namespace: &cloudmap.NamespaceChange{
				Properties: &cloudmap.DnsNamespaceProperties{DnsProperties: &cloudmap.DnsPropertiesMutable{SOA: cloudmap.NewSOA(30)}}}}},
		{"ListOperations", `{"MaxResults":5,"NextToken":"t","Filters":[{"Name":"STATUS","Values":["SUCCESS","FAIL"],"Condition":"IN"}]}`,
			&cloudmap.ListInput{MaxResults: 5, NextToken: "t", Filters: []cloudmap.Filter{
				{Name: "STATUS", Values: []string{"SUCCESS", "FAIL"}, Condition: "IN"}}}},
		{"DiscoverInstances", ` {"NamespaceName":"ns","ServiceName":"web","MaxResults":10,"HealthStatus":"ALL",
			"QueryParameters":{"a":"1"},"OwnerAccount":null} `,
			&cloudmap.DiscoverInstancesInput{NamespaceName: "ns", ServiceName: "web", MaxResults: 10,
				HealthStatus: cloudmap.FilterAll, QueryParameters: map[string]string{"a": "1"}}},
		{"ListNamespaces", ``, &cloudmap.ListInput{}},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			got = nil
			r := post(t, url, targetPrefix+tt.op, tt.body)
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if !reflect.DeepEqual(got, tt.want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(tt.want)
				t.Errorf("got  %s\nwant %s", g, w)
			}
		})
	}
}
