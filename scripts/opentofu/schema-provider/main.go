// Command schema-provider is a SCHEMA-ONLY stand-in for an OpenTofu provider, used by the tests in
// tests/opentofu/ when the real provider cannot be built (the Go module proxy of the project's
// machines refuses the provider modules; see docs in scripts/install-opentofu.sh).
//
// It serves, over plugin protocol 6, the schema in schema.json beside its executable (written by
// scripts/lib/provider_schema.py from the cdktf bindings, which were generated from the real
// provider's schema at the pinned version) and accepts every config the schema accepts. It never
// talks to an API: planning, applying, reading and importing answer an error, so it is only useful
// under `tofu test` with `mock_provider`, where OpenTofu itself composes plans and state and asks the
// provider only for its schema, config validation and state upgrades
// (opentofu/opentofu v1.12.6 internal/tofu/provider_for_test_framework.go), and for `tofu validate`.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The file format mirrors `tofu providers schema -json` for one provider.
type schemaFile struct {
	Provider          schemaEntry            `json:"provider"`
	ResourceSchemas   map[string]schemaEntry `json:"resource_schemas"`
	DataSourceSchemas map[string]schemaEntry `json:"data_source_schemas"`
}

type schemaEntry struct {
	Version int64     `json:"version"`
	Block   blockJSON `json:"block"`
}

type blockJSON struct {
	Attributes map[string]attributeJSON `json:"attributes"`
	BlockTypes map[string]nestedJSON    `json:"block_types"`
}

type attributeJSON struct {
	Type       json.RawMessage `json:"type"`
	NestedType *objectJSON     `json:"nested_type"`
	Required   bool            `json:"required"`
	Optional   bool            `json:"optional"`
	Computed   bool            `json:"computed"`
	Sensitive  bool            `json:"sensitive"`
}

type objectJSON struct {
	Attributes  map[string]attributeJSON `json:"attributes"`
	NestingMode string                   `json:"nesting_mode"`
}

type nestedJSON struct {
	NestingMode string    `json:"nesting_mode"`
	Block       blockJSON `json:"block"`
	MinItems    int64     `json:"min_items"`
	MaxItems    int64     `json:"max_items"`
}

var blockNesting = map[string]tfprotov6.SchemaNestedBlockNestingMode{
	"single": tfprotov6.SchemaNestedBlockNestingModeSingle,
	"list":   tfprotov6.SchemaNestedBlockNestingModeList,
	"set":    tfprotov6.SchemaNestedBlockNestingModeSet,
	"map":    tfprotov6.SchemaNestedBlockNestingModeMap,
}

var objectNesting = map[string]tfprotov6.SchemaObjectNestingMode{
	"single": tfprotov6.SchemaObjectNestingModeSingle,
	"list":   tfprotov6.SchemaObjectNestingModeList,
	"set":    tfprotov6.SchemaObjectNestingModeSet,
	"map":    tfprotov6.SchemaObjectNestingModeMap,
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func convertAttributes(attrs map[string]attributeJSON, where string) ([]*tfprotov6.SchemaAttribute, error) {
	out := make([]*tfprotov6.SchemaAttribute, 0, len(attrs))
	for _, name := range sortedKeys(attrs) {
		a := attrs[name]
		attr := &tfprotov6.SchemaAttribute{
			Name: name, Required: a.Required, Optional: a.Optional, Computed: a.Computed, Sensitive: a.Sensitive,
		}
		switch {
		case a.NestedType != nil:
			mode, ok := objectNesting[a.NestedType.NestingMode]
			if !ok {
				return nil, fmt.Errorf("%s.%s: unknown nesting mode %q", where, name, a.NestedType.NestingMode)
			}
			inner, err := convertAttributes(a.NestedType.Attributes, where+"."+name)
			if err != nil {
				return nil, err
			}
			attr.NestedType = &tfprotov6.SchemaObject{Attributes: inner, Nesting: mode}
		case len(a.Type) > 0:
			typ, err := tftypes.ParseJSONType(a.Type) //nolint:staticcheck // the schema JSON format is exactly this one
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", where, name, err)
			}
			attr.Type = typ
		default:
			return nil, fmt.Errorf("%s.%s: neither type nor nested_type", where, name)
		}
		out = append(out, attr)
	}
	return out, nil
}

func convertBlock(b blockJSON, where string) (*tfprotov6.SchemaBlock, error) {
	attrs, err := convertAttributes(b.Attributes, where)
	if err != nil {
		return nil, err
	}
	block := &tfprotov6.SchemaBlock{Attributes: attrs}
	for _, name := range sortedKeys(b.BlockTypes) {
		nb := b.BlockTypes[name]
		mode, ok := blockNesting[nb.NestingMode]
		if !ok {
			return nil, fmt.Errorf("%s.%s: unknown nesting mode %q", where, name, nb.NestingMode)
		}
		inner, err := convertBlock(nb.Block, where+"."+name)
		if err != nil {
			return nil, err
		}
		block.BlockTypes = append(block.BlockTypes, &tfprotov6.SchemaNestedBlock{
			TypeName: name, Block: inner, Nesting: mode, MinItems: nb.MinItems, MaxItems: nb.MaxItems,
		})
	}
	return block, nil
}

type server struct {
	name      string
	provider  *tfprotov6.Schema
	resources map[string]*tfprotov6.Schema
	data      map[string]*tfprotov6.Schema
}

func load(path, name string) (*server, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var file schemaFile
	if err := json.Unmarshal(raw, &file); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s := &server{name: name, resources: map[string]*tfprotov6.Schema{}, data: map[string]*tfprotov6.Schema{}}
	block, err := convertBlock(file.Provider.Block, "provider")
	if err != nil {
		return nil, err
	}
	s.provider = &tfprotov6.Schema{Block: block}
	for kind, entries := range map[string]map[string]schemaEntry{"resource": file.ResourceSchemas, "data": file.DataSourceSchemas} {
		for typeName, entry := range entries {
			block, err := convertBlock(entry.Block, typeName)
			if err != nil {
				return nil, err
			}
			schema := &tfprotov6.Schema{Version: entry.Version, Block: block}
			if kind == "resource" {
				s.resources[typeName] = schema
			} else {
				s.data[typeName] = schema
			}
		}
	}
	return s, nil
}

func (s *server) refuse(what string) []*tfprotov6.Diagnostic {
	return []*tfprotov6.Diagnostic{{
		Severity: tfprotov6.DiagnosticSeverityError,
		Summary:  fmt.Sprintf("%s: schema-only stand-in cannot %s", s.name, what),
		Detail: "This provider binary only serves the provider's schema for `tofu validate` and for `tofu test` " +
			"with mock_provider (tests/opentofu). Use the real provider from the registry for anything else.",
	}}
}

func (s *server) GetMetadata(context.Context, *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	resp := &tfprotov6.GetMetadataResponse{}
	for _, name := range sortedKeys(s.resources) {
		resp.Resources = append(resp.Resources, tfprotov6.ResourceMetadata{TypeName: name})
	}
	for _, name := range sortedKeys(s.data) {
		resp.DataSources = append(resp.DataSources, tfprotov6.DataSourceMetadata{TypeName: name})
	}
	return resp, nil
}

func (s *server) GetProviderSchema(context.Context, *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	return &tfprotov6.GetProviderSchemaResponse{
		Provider: s.provider, ResourceSchemas: s.resources, DataSourceSchemas: s.data,
	}, nil
}

func (s *server) GetResourceIdentitySchemas(context.Context, *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov6.GetResourceIdentitySchemasResponse{}, nil
}

func (s *server) ValidateProviderConfig(_ context.Context, req *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	return &tfprotov6.ValidateProviderConfigResponse{PreparedConfig: req.Config}, nil
}

func (s *server) ConfigureProvider(context.Context, *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	return &tfprotov6.ConfigureProviderResponse{}, nil
}

func (s *server) StopProvider(context.Context, *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	return &tfprotov6.StopProviderResponse{}, nil
}

func (s *server) ValidateResourceConfig(context.Context, *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return &tfprotov6.ValidateResourceConfigResponse{}, nil
}

// UpgradeResourceState re-encodes the stored JSON state under the current schema (version 0: nothing to upgrade).
func (s *server) UpgradeResourceState(_ context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	schema, ok := s.resources[req.TypeName]
	if !ok || req.RawState == nil {
		return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: s.refuse("upgrade state of unknown type " + req.TypeName)}, nil
	}
	typ := schema.ValueType()
	value, err := req.RawState.UnmarshalWithOpts(typ, tfprotov6.UnmarshalOpts{ValueFromJSONOpts: tftypes.ValueFromJSONOpts{IgnoreUndefinedAttributes: true}})
	if err != nil {
		return nil, err
	}
	upgraded, err := tfprotov6.NewDynamicValue(typ, value)
	if err != nil {
		return nil, err
	}
	return &tfprotov6.UpgradeResourceStateResponse{UpgradedState: &upgraded}, nil
}

func (s *server) ReadResource(context.Context, *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return &tfprotov6.ReadResourceResponse{Diagnostics: s.refuse("read a resource")}, nil
}

func (s *server) PlanResourceChange(context.Context, *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	return &tfprotov6.PlanResourceChangeResponse{Diagnostics: s.refuse("plan")}, nil
}

func (s *server) ApplyResourceChange(context.Context, *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: s.refuse("apply")}, nil
}

func (s *server) ImportResourceState(context.Context, *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	return &tfprotov6.ImportResourceStateResponse{Diagnostics: s.refuse("import")}, nil
}

func (s *server) MoveResourceState(context.Context, *tfprotov6.MoveResourceStateRequest) (*tfprotov6.MoveResourceStateResponse, error) {
	return &tfprotov6.MoveResourceStateResponse{Diagnostics: s.refuse("move state")}, nil
}

func (s *server) UpgradeResourceIdentity(context.Context, *tfprotov6.UpgradeResourceIdentityRequest) (*tfprotov6.UpgradeResourceIdentityResponse, error) {
	return &tfprotov6.UpgradeResourceIdentityResponse{Diagnostics: s.refuse("upgrade an identity")}, nil
}

func (s *server) GenerateResourceConfig(context.Context, *tfprotov6.GenerateResourceConfigRequest) (*tfprotov6.GenerateResourceConfigResponse, error) {
	return &tfprotov6.GenerateResourceConfigResponse{Diagnostics: s.refuse("generate config")}, nil
}

func (s *server) ValidateDataResourceConfig(context.Context, *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return &tfprotov6.ValidateDataResourceConfigResponse{}, nil
}

func (s *server) ReadDataSource(context.Context, *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	return &tfprotov6.ReadDataSourceResponse{Diagnostics: s.refuse("read a data source")}, nil
}

func (s *server) CallFunction(context.Context, *tfprotov6.CallFunctionRequest) (*tfprotov6.CallFunctionResponse, error) {
	return &tfprotov6.CallFunctionResponse{Error: &tfprotov6.FunctionError{Text: s.name + ": schema-only stand-in has no functions"}}, nil
}

func (s *server) GetFunctions(context.Context, *tfprotov6.GetFunctionsRequest) (*tfprotov6.GetFunctionsResponse, error) {
	return &tfprotov6.GetFunctionsResponse{}, nil
}

func (s *server) ValidateEphemeralResourceConfig(context.Context, *tfprotov6.ValidateEphemeralResourceConfigRequest) (*tfprotov6.ValidateEphemeralResourceConfigResponse, error) {
	return &tfprotov6.ValidateEphemeralResourceConfigResponse{}, nil
}

func (s *server) OpenEphemeralResource(context.Context, *tfprotov6.OpenEphemeralResourceRequest) (*tfprotov6.OpenEphemeralResourceResponse, error) {
	return &tfprotov6.OpenEphemeralResourceResponse{Diagnostics: s.refuse("open an ephemeral resource")}, nil
}

func (s *server) RenewEphemeralResource(context.Context, *tfprotov6.RenewEphemeralResourceRequest) (*tfprotov6.RenewEphemeralResourceResponse, error) {
	return &tfprotov6.RenewEphemeralResourceResponse{Diagnostics: s.refuse("renew an ephemeral resource")}, nil
}

func (s *server) CloseEphemeralResource(context.Context, *tfprotov6.CloseEphemeralResourceRequest) (*tfprotov6.CloseEphemeralResourceResponse, error) {
	return &tfprotov6.CloseEphemeralResourceResponse{}, nil
}

func main() {
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "schema-provider:", err)
		os.Exit(1)
	}
	// terraform-provider-<type>_v<version>: the registry address is only used in log lines.
	name := strings.TrimPrefix(strings.SplitN(filepath.Base(exe), "_", 2)[0], "terraform-provider-")
	if len(os.Args) > 1 && (os.Args[1] == "-h" || os.Args[1] == "--help") {
		fmt.Println("usage: started by OpenTofu as a provider plugin; serves schema.json beside the executable (schema-only, tests)")
		return
	}
	srv, err := load(filepath.Join(filepath.Dir(exe), "schema.json"), name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "schema-provider:", err)
		os.Exit(1)
	}
	if err := tf6server.Serve("registry.opentofu.org/stand-in/"+name, func() tfprotov6.ProviderServer { return srv }); err != nil {
		fmt.Fprintln(os.Stderr, "schema-provider:", err)
		os.Exit(1)
	}
}
