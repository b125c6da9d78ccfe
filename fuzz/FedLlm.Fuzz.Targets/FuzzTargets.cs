namespace FedLlm.Fuzz.Targets;

/// <summary>Every fuzz target, by name.</summary>
public static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new SafeTensorsHeaderTarget(),
        new TokenizerJsonTarget(),
        new VectorAssemblyTarget(),
        new RunConfigTarget(),
        new DatasetTarget(),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(target => target.Name == name);

    public static string Names => string.Join(", ", All.Select(target => target.Name));
}
