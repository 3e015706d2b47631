"""The demo's cast: campaigns, publishers, buyers, tracking numbers and caller geography.

Fixed data, so that a seed alone decides the calls. Every name is invented.
"""

from __future__ import annotations

from dataclasses import dataclass

WORKSPACE_ZONE = "America/New_York"


@dataclass(frozen=True)
class DemoCampaign:
    name: str
    vertical: str
    timezone: str
    weight: float  # share of the year's calls
    home_states: tuple[str, ...]  # callers come mostly from here
    buyers: tuple[tuple[str, float], ...]  # (buyer, share of forwarded calls)
    aep_season: bool = False  # Medicare's Annual Enrollment Period: Oct 15 - Dec 7
    clips: tuple[int, ...] = (0, 3)  # indexes into CLIPS: the samples its recordings play
    converts: float = 0.25  # share of reviewed calls over REJECT_UNDER_S that become sales
    sale_usd: int = 500  # median sale amount; sales spread lognormally around it
    sale_spread: float = 0.4


@dataclass(frozen=True)
class DemoPublisher:
    name: str
    kind: str  # publisher | traffic_source
    junk: bool = False
    cost_per_call_cents: int = 0  # what its media costs per call (own traffic sources)
    converts: float = 1.0  # how well its callers buy, times the campaign's rate


@dataclass(frozen=True)
class DemoBuyer:
    name: str
    destinations: tuple[str, ...]
    hangs_up_under_buffer: bool = False
    answer_rate: float = 0.82
    reports: float = 0.85  # share of its answered calls it reports a disposition for


CAMPAIGNS = (
    DemoCampaign("Medicare Advantage", "medicare", "America/New_York", 0.30,
                 ("FL", "AZ", "TX", "PA", "OH"),
                 (("Silverline Health Partners", 0.6), ("Harbor Senior Benefits", 0.4)),
                 aep_season=True, clips=(3,), converts=0.22, sale_usd=720, sale_spread=0.3),
    DemoCampaign("Auto Insurance", "insurance", "America/Chicago", 0.28,
                 ("TX", "IL", "GA", "NC", "MO"),
                 (("Apex Auto Insurance Group", 0.55), ("Keystone Direct Insurance", 0.45)),
                 clips=(0,), converts=0.2, sale_usd=1150, sale_spread=0.45),
    DemoCampaign("HVAC Repair", "home_services", "America/Phoenix", 0.17,
                 ("AZ", "NV", "TX"), (("Desert Air Heating & Cooling", 1.0),), clips=(1,),
                 converts=0.42, sale_usd=420, sale_spread=0.7),
    DemoCampaign("Debt Relief", "financial", "America/Los_Angeles", 0.15,
                 ("CA", "WA", "OR", "NV"), (("Clearpath Debt Solutions", 1.0),),
                 converts=0.12, sale_usd=2400, sale_spread=0.5),
    DemoCampaign("Pest Control", "home_services", "America/New_York", 0.10,
                 ("FL", "GA", "NC", "SC"), (("Evergreen Pest Pros", 1.0),), clips=(1,),
                 converts=0.38, sale_usd=260, sale_spread=0.4),
)

PUBLISHERS = (
    DemoPublisher("BlueSky Media", "publisher"),
    DemoPublisher("Call Harbor Partners", "publisher", converts=1.15),
    DemoPublisher("Peak Leads Co", "publisher", converts=0.9),
    DemoPublisher("ClickSurge Network", "publisher", junk=True, converts=0.3),
    DemoPublisher("Google Ads (own)", "traffic_source", cost_per_call_cents=2400, converts=1.25),
    DemoPublisher("Facebook Ads (own)", "traffic_source", cost_per_call_cents=1700,
                  converts=0.75),
)

BUYERS = (
    DemoBuyer("Silverline Health Partners", ("+13055550142", "+13055550143")),
    DemoBuyer("Harbor Senior Benefits", ("+18135550177",), answer_rate=0.78, reports=0.7),
    DemoBuyer("Apex Auto Insurance Group", ("+12145550119",), hangs_up_under_buffer=True),
    DemoBuyer("Keystone Direct Insurance", ("+12155550164",), answer_rate=0.85),
    DemoBuyer("Desert Air Heating & Cooling", ("+16025550131",), answer_rate=0.74),
    DemoBuyer("Clearpath Debt Solutions", ("+12135550188", "+12135550189")),
    DemoBuyer("Evergreen Pest Pros", ("+14045550152",), answer_rate=0.8, reports=0.55),
)

# (campaign, publisher, tracking number, friendly name, share of the campaign's calls)
NUMBERS = (
    ("Medicare Advantage", "BlueSky Media", "+18885550101", "MA - BlueSky TV", 0.30),
    ("Medicare Advantage", "Call Harbor Partners", "+18885550102", "MA - Call Harbor", 0.20),
    ("Medicare Advantage", "Google Ads (own)", "+18885550103", "MA - Google search", 0.20),
    ("Medicare Advantage", "Facebook Ads (own)", "+18885550104", "MA - Facebook", 0.15),
    ("Medicare Advantage", "ClickSurge Network", "+18885550105", "MA - ClickSurge", 0.15),
    ("Auto Insurance", "Peak Leads Co", "+18445550201", "Auto - Peak Leads", 0.30),
    ("Auto Insurance", "BlueSky Media", "+18445550202", "Auto - BlueSky radio", 0.20),
    ("Auto Insurance", "Google Ads (own)", "+18445550203", "Auto - Google search", 0.25),
    ("Auto Insurance", "ClickSurge Network", "+18445550204", "Auto - ClickSurge", 0.25),
    ("HVAC Repair", "Google Ads (own)", "+16025550301", "HVAC - Google LSA", 0.45),
    ("HVAC Repair", "Facebook Ads (own)", "+16025550302", "HVAC - Facebook", 0.20),
    ("HVAC Repair", "Peak Leads Co", "+17025550303", "HVAC - Peak Leads NV", 0.35),
    ("Debt Relief", "Call Harbor Partners", "+18775550401", "Debt - Call Harbor", 0.40),
    ("Debt Relief", "Facebook Ads (own)", "+18775550402", "Debt - Facebook", 0.30),
    ("Debt Relief", "ClickSurge Network", "+18775550403", "Debt - ClickSurge", 0.30),
    ("Pest Control", "Google Ads (own)", "+14075550501", "Pest - Google search", 0.55),
    ("Pest Control", "Peak Leads Co", "+19045550502", "Pest - Peak Leads", 0.45),
)

# Geographic area codes and their states (checked against phonenumbers by a test). Weights are
# rough shares of US callers.
AREA_CODES: tuple[tuple[str, str, float], ...] = (
    ("205", "AL", 1.5), ("907", "AK", 0.3), ("602", "AZ", 1.6), ("520", "AZ", 0.8),
    ("480", "AZ", 1.0), ("501", "AR", 0.9), ("213", "CA", 2.0), ("415", "CA", 1.2),
    ("619", "CA", 1.3), ("916", "CA", 1.1), ("714", "CA", 1.2), ("303", "CO", 1.7),
    ("203", "CT", 1.1), ("302", "DE", 0.3), ("202", "DC", 0.3), ("305", "FL", 1.8),
    ("407", "FL", 1.5), ("813", "FL", 1.5), ("904", "FL", 1.2), ("404", "GA", 1.8),
    ("912", "GA", 0.7), ("808", "HI", 0.4), ("208", "ID", 0.6), ("312", "IL", 2.0),
    ("217", "IL", 0.8), ("317", "IN", 2.0), ("515", "IA", 1.0), ("316", "KS", 0.9),
    ("502", "KY", 1.3), ("504", "LA", 1.4), ("207", "ME", 0.4), ("410", "MD", 1.8),
    ("617", "MA", 2.0), ("313", "MI", 2.9), ("612", "MN", 1.7), ("601", "MS", 0.9),
    ("314", "MO", 1.8), ("406", "MT", 0.3), ("402", "NE", 0.6), ("702", "NV", 1.0),
    ("603", "NH", 0.4), ("201", "NJ", 2.7), ("505", "NM", 0.6), ("212", "NY", 3.0),
    ("716", "NY", 1.0), ("704", "NC", 1.7), ("919", "NC", 1.5), ("701", "ND", 0.2),
    ("614", "OH", 1.9), ("216", "OH", 1.6), ("405", "OK", 1.2), ("503", "OR", 1.3),
    ("215", "PA", 2.0), ("412", "PA", 1.3), ("401", "RI", 0.3), ("803", "SC", 1.6),
    ("605", "SD", 0.3), ("615", "TN", 2.1), ("214", "TX", 2.5), ("713", "TX", 2.6),
    ("512", "TX", 1.5), ("210", "TX", 1.5), ("801", "UT", 1.0), ("802", "VT", 0.2),
    ("804", "VA", 1.3), ("703", "VA", 1.4), ("206", "WA", 1.5), ("509", "WA", 0.8),
    ("304", "WV", 0.5), ("414", "WI", 1.7), ("307", "WY", 0.2),
)
# Callers from outside the US (the junk publisher's traffic includes some).
FOREIGN_AREA_CODES: tuple[tuple[str, str], ...] = (
    ("416", "ON"), ("604", "BC"), ("514", "QC"),
)

CLIPS = ("demo_audio/clip_1.mp3", "demo_audio/clip_2.mp3", "demo_audio/clip_3.mp3",
         "demo_audio/clip_4.wav")
CLIP_CHANNELS = (2, 2, 1, 1)
SHORT_CALL_CLIP = 2  # the caller who hangs up quickly

# Hour-of-day shape of call volume in the campaign's local time (business hours peak).
HOURLY = (0.15, 0.08, 0.05, 0.05, 0.06, 0.15, 0.5, 1.3, 2.6, 4.0, 4.6, 4.3, 3.8, 4.0, 4.3,
          4.1, 3.7, 3.0, 2.3, 1.7, 1.3, 0.9, 0.6, 0.3)
# Junk traffic arrives at any hour.
HOURLY_JUNK = (0.8, 0.7, 0.6, 0.6, 0.6, 0.8, 1.0, 1.4, 2.0, 2.6, 2.8, 2.8, 2.6, 2.6, 2.7,
               2.6, 2.5, 2.3, 2.1, 1.9, 1.7, 1.5, 1.2, 1.0)
WEEKDAY = (1.0, 1.05, 1.0, 0.97, 0.9, 0.55, 0.4)  # Monday first
