package agent

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dianbao/dialogs"
)

func TestInArea(t *testing.T) {
	o := dialogs.Outage{Area: "星河湾小区", Match: []string{"星河湾小区", "星河湾花园"}}
	tests := []struct {
		address string
		want    bool
	}{
		{"星河湾小区8栋2单元", true},
		{"星河湾花园3号", true},
		{"星河湾", true}, // a shortened name the customer gave
		{"星", false},  // one rune says nothing
		{"阳光花园", false},
		{"", false},
	}
	for _, tc := range tests {
		t.Run(tc.address, func(t *testing.T) {
			require.Equal(t, tc.want, inArea(tc.address, o))
		})
	}
	require.True(t, inArea("城东工业园A区", dialogs.Outage{Area: "城东工业园"}), "area used when match is empty")
}

func TestOutageText(t *testing.T) {
	o := dialogs.Outage{Kind: "fault", Area: "星河湾小区", Cause: "电缆故障",
		ETA: time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC)}
	require.Equal(t, "【停电通知】您好，您所在的星河湾小区因电缆故障停电，抢修人员正在全力抢修，预计11月23日18:30恢复供电，给您带来不便敬请谅解。", outageText(o, false))
	o.Kind = "planned"
	require.Contains(t, outageText(o, true), "【停电信息更新】")
	require.Contains(t, outageText(o, true), "计划停电")
}
