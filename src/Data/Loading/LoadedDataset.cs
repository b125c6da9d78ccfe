using FedLlm.Data.Model;

namespace FedLlm.Data.Loading;

/// <summary>A fully loaded dataset and its load report.</summary>
public sealed record LoadedDataset<T>(IReadOnlyList<T> Examples, LoadReport Report) where T : Example;
