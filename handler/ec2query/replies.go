package ec2query

import (
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The XML shapes below hold only the elements ami-notify reads; EC2's
// element names are from the DescribeImages and ListImagesInRecycleBin
// API references.

type describeImagesResponse struct {
	Images []imageXML `xml:"imagesSet>item"`
}

type imageXML struct {
	ImageID            string      `xml:"imageId"`
	State              string      `xml:"imageState"`
	OwnerID            string      `xml:"imageOwnerId"`
	OwnerAlias         *string     `xml:"imageOwnerAlias"`
	CreationDate       *string     `xml:"creationDate"`
	DeprecationTime    *string     `xml:"deprecationTime"`
	Public             *bool       `xml:"isPublic"`
	Architecture       string      `xml:"architecture"`
	ImageType          string      `xml:"imageType"`
	Platform           string      `xml:"platform"`
	PlatformDetails    *string     `xml:"platformDetails"`
	Name               *string     `xml:"name"`
	Description        *string     `xml:"description"`
	RootDeviceType     string      `xml:"rootDeviceType"`
	RootDeviceName     *string     `xml:"rootDeviceName"`
	VirtualizationType string      `xml:"virtualizationType"`
	BootMode           string      `xml:"bootMode"`
	ENASupport         *bool       `xml:"enaSupport"`
	IMDSSupport        string      `xml:"imdsSupport"`
	SourceImageID      *string     `xml:"sourceImageId"`
	SourceImageRegion  *string     `xml:"sourceImageRegion"`
	StateReason        *reasonXML  `xml:"stateReason"`
	BlockDevices       []deviceXML `xml:"blockDeviceMapping>item"`
	Tags               []tagXML    `xml:"tagSet>item"`
}

type reasonXML struct {
	Code    *string `xml:"code"`
	Message *string `xml:"message"`
}

type deviceXML struct {
	DeviceName  *string `xml:"deviceName"`
	VirtualName *string `xml:"virtualName"`
	EBS         *struct {
		SnapshotID *string `xml:"snapshotId"`
		VolumeSize *int32  `xml:"volumeSize"`
		VolumeType string  `xml:"volumeType"`
		Encrypted  *bool   `xml:"encrypted"`
	} `xml:"ebs"`
}

type tagXML struct {
	Key   *string `xml:"key"`
	Value *string `xml:"value"`
}

func (r *describeImagesResponse) output() *ec2.DescribeImagesOutput {
	out := &ec2.DescribeImagesOutput{Images: make([]ec2types.Image, 0, len(r.Images))}
	for _, x := range r.Images {
		im := ec2types.Image{
			ImageId:            aws.String(x.ImageID),
			State:              ec2types.ImageState(x.State),
			OwnerId:            aws.String(x.OwnerID),
			ImageOwnerAlias:    x.OwnerAlias,
			CreationDate:       x.CreationDate,
			DeprecationTime:    x.DeprecationTime,
			Public:             x.Public,
			Architecture:       ec2types.ArchitectureValues(x.Architecture),
			ImageType:          ec2types.ImageTypeValues(x.ImageType),
			Platform:           ec2types.PlatformValues(x.Platform),
			PlatformDetails:    x.PlatformDetails,
			Name:               x.Name,
			Description:        x.Description,
			RootDeviceType:     ec2types.DeviceType(x.RootDeviceType),
			RootDeviceName:     x.RootDeviceName,
			VirtualizationType: ec2types.VirtualizationType(x.VirtualizationType),
			BootMode:           ec2types.BootModeValues(x.BootMode),
			EnaSupport:         x.ENASupport,
			ImdsSupport:        ec2types.ImdsSupportValues(x.IMDSSupport),
			SourceImageId:      x.SourceImageID,
			SourceImageRegion:  x.SourceImageRegion,
		}
		if x.StateReason != nil {
			im.StateReason = &ec2types.StateReason{Code: x.StateReason.Code, Message: x.StateReason.Message}
		}
		for _, d := range x.BlockDevices {
			m := ec2types.BlockDeviceMapping{DeviceName: d.DeviceName, VirtualName: d.VirtualName}
			if d.EBS != nil {
				m.Ebs = &ec2types.EbsBlockDevice{
					SnapshotId: d.EBS.SnapshotID,
					VolumeSize: d.EBS.VolumeSize,
					VolumeType: ec2types.VolumeType(d.EBS.VolumeType),
					Encrypted:  d.EBS.Encrypted,
				}
			}
			im.BlockDeviceMappings = append(im.BlockDeviceMappings, m)
		}
		for _, t := range x.Tags {
			im.Tags = append(im.Tags, ec2types.Tag{Key: t.Key, Value: t.Value})
		}
		out.Images = append(out.Images, im)
	}
	return out
}

type recycleBinResponse struct {
	Images []struct {
		ImageID     string  `xml:"imageId"`
		Name        *string `xml:"name"`
		Description *string `xml:"description"`
		EnterTime   string  `xml:"recycleBinEnterTime"`
		ExitTime    string  `xml:"recycleBinExitTime"`
	} `xml:"imageSet>item"`
}

func (r *recycleBinResponse) output() *ec2.ListImagesInRecycleBinOutput {
	out := &ec2.ListImagesInRecycleBinOutput{}
	for _, x := range r.Images {
		out.Images = append(out.Images, ec2types.ImageRecycleBinInfo{
			ImageId:             aws.String(x.ImageID),
			Name:                x.Name,
			Description:         x.Description,
			RecycleBinEnterTime: parseTime(x.EnterTime),
			RecycleBinExitTime:  parseTime(x.ExitTime),
		})
	}
	return out
}

// parseTime reads EC2's ISO 8601 timestamps; nil when absent or unreadable.
func parseTime(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		// Some EC2 timestamps are plain seconds since the epoch.
		secs, perr := strconv.ParseFloat(s, 64)
		if perr != nil {
			return nil
		}
		t = time.Unix(int64(secs), 0).UTC()
	}
	return &t
}
