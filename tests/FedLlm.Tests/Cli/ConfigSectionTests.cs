using FedLlm.Cli.Configuration;

namespace FedLlm.Tests.Cli;

/// <summary>The server: and client: sections of a run config hold keys; a plain value there is an error, not silently the defaults.</summary>
public sealed class ConfigSectionTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fedllm-config-section-").FullName;

    [Fact]
    public void AValueInASectionsPlaceIsRefused()
    {
        var error = Assert.Throws<InvalidDataException>(() => RunConfigFile.Load(Write("name: a\nserver: 3\n"), []));
        Assert.Contains("'server' must be a section of keys, found '3'", error.Message);
        Assert.Contains("run.yaml", error.Message);
        Assert.Throws<InvalidDataException>(() => RunConfigFile.Load(Write("client: [1, 2]\n"), []));
    }

    [Fact]
    public void AnEmptySectionIsTheDefaults()
    {
        var file = RunConfigFile.Load(Write("name: a\nserver:\nclient: {}\n"), []);
        Assert.Equal(new FedLlm.Transport.Server.ServerSection().MinClients, file.Server.MinClients);
    }

    /// <summary>Found by fuzzing: <c>lora:</c> with no value set the section to null, and validation threw.</summary>
    [Theory]
    [InlineData("lora:\n")]
    [InlineData("lora: ~\ntraining: null\nsplit:\nserver: ~\n")]
    public void AKeyWithNoValueIsItsDefault(string yaml)
    {
        var file = RunConfigFile.Load(Write("name: a\n" + yaml), []);
        Assert.Equal(new FedLlm.Federation.Configuration.RunConfig().Lora.Rank, file.Run.Lora.Rank);
        Assert.NotNull(file.Run.Training);
        Assert.NotEmpty(file.Run.Validate(FedLlm.Federation.Configuration.RunPurpose.Simulate));
    }

    /// <summary>An empty list item has no default (a client's position is its id): an error naming it.</summary>
    [Fact]
    public void AnEmptyListItemIsRefused()
    {
        var error = Assert.Throws<InvalidDataException>(() => RunConfigFile.Load(Write("server:\n  clients:\n    - {name: a}\n    - ~\n"), []));
        Assert.Contains("'server.clients[1]' is empty", error.Message);
    }

    /// <summary>Found by fuzzing the fix above: an anchor can nest a mapping inside itself; reading it must end.</summary>
    [Fact]
    public void ASelfReferencingAnchorEnds()
    {
        Assert.Throws<InvalidDataException>(() => RunConfigFile.Load(Write("name: &x\n  a: *x\nrounds: 1\n"), []));
    }

    /// <summary>Found by fuzzing: YamlDotNet throws InvalidOperationException on some broken streams; it is bad YAML like any other.</summary>
    [Fact]
    public void ABrokenYamlStreamIsInvalidYaml()
    {
        string path = Path.Combine(_folder, "run.yaml");
        // The input afl found (fuzz/findings-regressions/config/yaml-scanner-invalid-operation.yaml).
        File.WriteAllBytes(path, [0x2E, 0x2E, 0x2E, 0x00, 0x03, 0xE8, 0x6D, 0x00, 0xF7, 0x0A, 0x03, 0xD1, 0x8F, 0x0A, 0x0A, 0x03, 0xE8, 0x8F, 0x0A, 0x0A, 0x2D]);
        var error = Assert.Throws<InvalidDataException>(() => RunConfigFile.Load(path, []));
        Assert.Contains("invalid YAML", error.Message);
    }

    private string Write(string yaml)
    {
        string path = Path.Combine(_folder, "run.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
