<#
.SYNOPSIS
  Enamel: export an imaging workstation's security settings to JSON (format enamel.windows/1).

.DESCRIPTION
  Read-only. Collects BitLocker status, SCHANNEL TLS 1.0/1.1 settings, the inactivity lock
  timeout, the USB mass-storage policy, the local Administrators group and the OS build,
  and writes them as JSON (docs/windows-export.md). A section that cannot be read is written
  as {"error": "..."} so the scan reports it as an error, never as compliant.
  Run from an elevated PowerShell (BitLocker needs it); Windows PowerShell 5.1 or PowerShell 7.

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File collect-windows.ps1 -OutFile \\nas\audit\OP1-XRAY.json
#>
[CmdletBinding()]
param(
  [string]$OutFile = "$env:COMPUTERNAME.enamel.json"
)
$ErrorActionPreference = 'Stop'

function Get-Section([scriptblock]$Read) {
  try { & $Read } catch { @{ error = $_.Exception.Message } }
}

function Get-RegValue([string]$Path, [string]$Name) {
  $item = Get-ItemProperty -Path $Path -Name $Name -ErrorAction SilentlyContinue
  if ($null -eq $item) { return $null }
  return [int]$item.$Name
}

$schannelRoot = 'HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols'

$export = [ordered]@{
  format        = 'enamel.windows/1'
  collected_at  = (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
  computer_name = $env:COMPUTERNAME

  os = Get-Section {
    $os = Get-CimInstance -ClassName Win32_OperatingSystem
    [ordered]@{ Caption = $os.Caption; Version = $os.Version; BuildNumber = [string]$os.BuildNumber;
      UBR = [string](Get-ItemProperty "HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion").UBR }
  }

  # the leading comma keeps a one-volume list a list (PowerShell unrolls arrays on output)
  bitlocker = Get-Section {
    ,@(Get-BitLockerVolume | ForEach-Object {
      [ordered]@{
        MountPoint       = [string]$_.MountPoint
        VolumeType       = $_.VolumeType.ToString()        # OperatingSystem | Data
        ProtectionStatus = $_.ProtectionStatus.ToString()  # On | Off | Unknown
        VolumeStatus     = $_.VolumeStatus.ToString()      # FullyEncrypted | FullyDecrypted | ...
        EncryptionMethod = $_.EncryptionMethod.ToString()  # XtsAes256 | Aes128 | None | ...
      }
    })
  }

  # null = value not set (Windows default: TLS 1.0/1.1 enabled on Windows 10/11)
  schannel = Get-Section {
    $out = [ordered]@{}
    foreach ($proto in 'TLS 1.0', 'TLS 1.1') {
      $sides = [ordered]@{}
      foreach ($side in 'Server', 'Client') {
        $key = Join-Path $schannelRoot "$proto\$side"
        $sides[$side] = [ordered]@{
          Enabled           = Get-RegValue $key 'Enabled'
          DisabledByDefault = Get-RegValue $key 'DisabledByDefault'
        }
      }
      $out[$proto] = $sides
    }
    $out
  }

  # "Interactive logon: Machine inactivity limit"; null = not configured
  screen_lock = Get-Section {
    [ordered]@{
      InactivityTimeoutSecs = Get-RegValue 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System' 'InactivityTimeoutSecs'
    }
  }

  # USBSTOR Start 4 = driver disabled; Deny_All 1 = "All Removable Storage classes: Deny all access"
  usb_storage = Get-Section {
    [ordered]@{
      UsbStorStart     = Get-RegValue 'HKLM:\SYSTEM\CurrentControlSet\Services\USBSTOR' 'Start'
      DenyAllRemovable = Get-RegValue 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\RemovableStorageDevices' 'Deny_All'
    }
  }

  # "System cryptography: Use FIPS compliant algorithms..."; null = not set (Windows default: off)
  fips = Get-Section {
    [ordered]@{
      FipsAlgorithmPolicyEnabled = Get-RegValue 'HKLM:\SYSTEM\CurrentControlSet\Control\Lsa\FipsAlgorithmPolicy' 'Enabled'
    }
  }

  # Advanced audit policy, read by subcategory GUID (the names are localised):
  # Logon {0CCE9215-...}, Credential Validation {0CCE923F-...}. auditpol /r prints CSV;
  # InclusionSetting is e.g. "Success and Failure", "Failure", "No Auditing".
  audit_policy = Get-Section {
    $out = [ordered]@{}
    foreach ($sub in @(
        @{ Key = 'Logon'; Guid = '{0CCE9215-69AE-11D9-BED3-505054503030}' },
        @{ Key = 'CredentialValidation'; Guid = '{0CCE923F-69AE-11D9-BED3-505054503030}' })) {
      $csv = & auditpol.exe /get /subcategory:$($sub.Guid) /r
      if ($LASTEXITCODE -ne 0) { throw "auditpol exited $LASTEXITCODE" }
      $row = $csv | Where-Object { $_ -ne '' } | ConvertFrom-Csv | Select-Object -First 1
      $out[$sub.Key] = [ordered]@{ InclusionSetting = [string]$row.'Inclusion Setting' }
    }
    $out
  }

  # well-known SID S-1-5-32-544 (the name is localised)
  local_administrators = Get-Section {
    $group = Get-LocalGroup -SID 'S-1-5-32-544'
    ,@(Get-LocalGroupMember -Group $group | ForEach-Object { [string]$_.Name })
  }
}

$json = $export | ConvertTo-Json -Depth 6
[System.IO.File]::WriteAllText($OutFile, $json, (New-Object System.Text.UTF8Encoding($false)))
Write-Host "wrote $OutFile"
