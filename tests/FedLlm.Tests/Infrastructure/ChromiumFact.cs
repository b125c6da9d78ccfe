namespace FedLlm.Tests.Infrastructure;

/// <summary>
/// A fact that opens pages in <see cref="HeadlessChromium"/>. Outside CI a machine without Chromium skips it with a
/// clear message; in CI (the CI variable set, as .ci/run and CI services do) it runs anyway and fails saying Chromium is
/// missing, so a browser test can never pass there without a browser.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (!HeadlessChromium.Installed && !HeadlessChromium.RequiredByCi) Skip = HeadlessChromium.MissingMessage + " (outside CI this test is skipped)";
    }
}
