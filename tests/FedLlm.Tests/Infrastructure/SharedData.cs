namespace FedLlm.Tests.Infrastructure;

/// <summary>Locates the read-only ../shared folder (real models and datasets) beside the repository.</summary>
public static class SharedData
{
    // Declared first: static initialisers run in textual order and Locate() needs it.
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static readonly string? Root = Locate();

    public static bool Available => Root is not null;

    public const string MissingMessage = "../shared is absent (real models and datasets live there); this test needs it.";

    /// <summary>Full path of a file under ../shared; call only from a test marked <see cref="SharedDataFactAttribute"/>.</summary>
    public static string PathOf(string relative) =>
        System.IO.Path.Combine(Root ?? throw new InvalidOperationException(MissingMessage), relative);

    private static string? Locate()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("FEDLLM_SHARED");
        if (!string.IsNullOrEmpty(fromEnvironment)) return Directory.Exists(fromEnvironment) ? fromEnvironment : null;
        string candidate = System.IO.Path.GetFullPath(System.IO.Path.Combine(RepositoryRoot, "..", "shared"));
        return Directory.Exists(candidate) ? candidate : null;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "FedLlm.slnx"))) return dir.FullName;
        }
        throw new InvalidOperationException("Cannot find the repository root (FedLlm.slnx) above " + AppContext.BaseDirectory);
    }
}

/// <summary>A fact that needs ../shared; skips with a clear message when it is absent.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute()
    {
        if (!SharedData.Available) Skip = SharedData.MissingMessage;
    }
}

/// <summary>A theory that needs ../shared; skips with a clear message when it is absent.</summary>
public sealed class SharedDataTheoryAttribute : TheoryAttribute
{
    public SharedDataTheoryAttribute()
    {
        if (!SharedData.Available) Skip = SharedData.MissingMessage;
    }
}
